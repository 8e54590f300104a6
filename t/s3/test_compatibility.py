"""The operations docs/S3_COMPATIBILITY.md lists as not supported answer
501 NotImplemented (an S3 error document) and change nothing: the bucket
and its object are as they were, even for a DELETE or a PUT whose plain
form (DeleteBucket, PutObject) would have changed them.
"""

import pytest

from lib import s3raw
from lib.checks import assert_raw_error

# (operation, method, on an object?, query)
NOT_IMPLEMENTED = [
    ('CreateBucketMetadataConfiguration', 'POST', 0,
     'metadataConfiguration'),
    ('CreateBucketMetadataTableConfiguration', 'POST', 0, 'metadataTable'),
    ('CreateSession', 'GET', 0, 'session'),
    ('DeleteBucketAnalyticsConfiguration', 'DELETE', 0, 'analytics&id=a'),
    ('DeleteBucketEncryption', 'DELETE', 0, 'encryption'),
    ('DeleteBucketIntelligentTieringConfiguration', 'DELETE', 0,
     'intelligent-tiering&id=a'),
    ('DeleteBucketInventoryConfiguration', 'DELETE', 0, 'inventory&id=a'),
    ('DeleteBucketLifecycle', 'DELETE', 0, 'lifecycle'),
    ('DeleteBucketMetadataConfiguration', 'DELETE', 0,
     'metadataConfiguration'),
    ('DeleteBucketMetadataTableConfiguration', 'DELETE', 0,
     'metadataTable'),
    ('DeleteBucketMetricsConfiguration', 'DELETE', 0, 'metrics&id=a'),
    ('DeleteBucketOwnershipControls', 'DELETE', 0, 'ownershipControls'),
    ('DeleteBucketPolicy', 'DELETE', 0, 'policy'),
    ('DeleteBucketReplication', 'DELETE', 0, 'replication'),
    ('DeleteBucketWebsite', 'DELETE', 0, 'website'),
    ('DeletePublicAccessBlock', 'DELETE', 0, 'publicAccessBlock'),
    ('GetBucketAbac', 'GET', 0, 'abac'),
    ('GetBucketAccelerateConfiguration', 'GET', 0, 'accelerate'),
    ('GetBucketAnalyticsConfiguration', 'GET', 0, 'analytics&id=a'),
    ('GetBucketEncryption', 'GET', 0, 'encryption'),
    ('GetBucketIntelligentTieringConfiguration', 'GET', 0,
     'intelligent-tiering&id=a'),
    ('GetBucketInventoryConfiguration', 'GET', 0, 'inventory&id=a'),
    ('GetBucketLifecycleConfiguration', 'GET', 0, 'lifecycle'),
    ('GetBucketLogging', 'GET', 0, 'logging'),
    ('GetBucketMetadataConfiguration', 'GET', 0, 'metadataConfiguration'),
    ('GetBucketMetadataTableConfiguration', 'GET', 0, 'metadataTable'),
    ('GetBucketMetricsConfiguration', 'GET', 0, 'metrics&id=a'),
    ('GetBucketNotificationConfiguration', 'GET', 0, 'notification'),
    ('GetBucketOwnershipControls', 'GET', 0, 'ownershipControls'),
    ('GetBucketPolicy', 'GET', 0, 'policy'),
    ('GetBucketPolicyStatus', 'GET', 0, 'policyStatus'),
    ('GetBucketReplication', 'GET', 0, 'replication'),
    ('GetBucketRequestPayment', 'GET', 0, 'requestPayment'),
    ('GetBucketVersioning', 'GET', 0, 'versioning'),
    ('GetBucketWebsite', 'GET', 0, 'website'),
    ('GetObjectAttributes', 'GET', 1, 'attributes'),
    ('GetObjectLegalHold', 'GET', 1, 'legal-hold'),
    ('GetObjectLockConfiguration', 'GET', 0, 'object-lock'),
    ('GetObjectRetention', 'GET', 1, 'retention'),
    ('GetObjectTorrent', 'GET', 1, 'torrent'),
    ('GetPublicAccessBlock', 'GET', 0, 'publicAccessBlock'),
    ('ListBucketAnalyticsConfigurations', 'GET', 0, 'analytics'),
    ('ListBucketIntelligentTieringConfigurations', 'GET', 0,
     'intelligent-tiering'),
    ('ListBucketInventoryConfigurations', 'GET', 0, 'inventory'),
    ('ListBucketMetricsConfigurations', 'GET', 0, 'metrics'),
    ('ListObjectVersions', 'GET', 0, 'versions'),
    ('PutBucketAbac', 'PUT', 0, 'abac'),
    ('PutBucketAccelerateConfiguration', 'PUT', 0, 'accelerate'),
    ('PutBucketAnalyticsConfiguration', 'PUT', 0, 'analytics&id=a'),
    ('PutBucketEncryption', 'PUT', 0, 'encryption'),
    ('PutBucketIntelligentTieringConfiguration', 'PUT', 0,
     'intelligent-tiering&id=a'),
    ('PutBucketInventoryConfiguration', 'PUT', 0, 'inventory&id=a'),
    ('PutBucketLifecycleConfiguration', 'PUT', 0, 'lifecycle'),
    ('PutBucketLogging', 'PUT', 0, 'logging'),
    ('PutBucketMetricsConfiguration', 'PUT', 0, 'metrics&id=a'),
    ('PutBucketNotificationConfiguration', 'PUT', 0, 'notification'),
    ('PutBucketOwnershipControls', 'PUT', 0, 'ownershipControls'),
    ('PutBucketPolicy', 'PUT', 0, 'policy'),
    ('PutBucketReplication', 'PUT', 0, 'replication'),
    ('PutBucketRequestPayment', 'PUT', 0, 'requestPayment'),
    ('PutBucketVersioning', 'PUT', 0, 'versioning'),
    ('PutBucketWebsite', 'PUT', 0, 'website'),
    ('PutObjectLegalHold', 'PUT', 1, 'legal-hold'),
    ('PutObjectLockConfiguration', 'PUT', 0, 'object-lock'),
    ('PutObjectRetention', 'PUT', 1, 'retention'),
    ('PutPublicAccessBlock', 'PUT', 0, 'publicAccessBlock'),
    ('RenameObject', 'PUT', 1, 'renameObject'),
    ('RestoreObject', 'POST', 1, 'restore'),
    ('SelectObjectContent', 'POST', 1, 'select&select-type=2'),
    ('UpdateBucketMetadataInventoryTableConfiguration', 'PUT', 0,
     'metadataInventoryTable'),
    ('UpdateBucketMetadataJournalTableConfiguration', 'PUT', 0,
     'metadataJournalTable'),
    ('GetObject of a version', 'GET', 1, 'versionId=v1'),
    ('DeleteObject of a version', 'DELETE', 1, 'versionId=v1'),
]


@pytest.mark.parametrize('op,method,on_object,query', NOT_IMPLEMENTED,
                         ids=[c[0] for c in NOT_IMPLEMENTED])
def test_not_implemented(s3, alice, bucket, op, method, on_object, query):
    alice.put_object(Bucket=bucket, Key='k', Body=b'unchanged')
    path = s3raw.object_path(bucket, 'k') if on_object else f'/{bucket}'
    headers = {'x-amz-rename-source': f'/{bucket}/k'} if op == 'RenameObject' \
        else {}
    r = s3raw.request(s3, s3.alice, method, path, query=query,
                      body=b'<x/>' if method in ('PUT', 'POST') else b'',
                      headers=headers)
    assert_raw_error(r, 'NotImplemented', 501)
    assert alice.get_object(Bucket=bucket, Key='k')['Body'].read() == \
        b'unchanged'


@pytest.mark.parametrize('query', ['metadataTable', 'metadataConfiguration',
                                   'policy', 'lifecycle'])
def test_delete_subresource_keeps_an_empty_bucket(s3, alice, bucket, query):
    """DELETE /b?sub is not DeleteBucket, even when the bucket is empty."""
    r = s3raw.request(s3, s3.alice, 'DELETE', f'/{bucket}', query=query)
    assert_raw_error(r, 'NotImplemented', 501)
    alice.head_bucket(Bucket=bucket)
