"""A model of S3's listing rules, and helpers that page through a real
listing (boto3) and compare every page with the model.

The rules (ListObjects v1, ListObjectsV2, from the AWS API reference):

- keys are returned in binary UTF-8 order: sorted by key.encode('utf-8')
  (so 'a-' < 'a.b/' < 'a/' < 'a/b' < 'a0', and U+FF5E < U+1F600, unlike
  UTF-16 order);
- prefix keeps the keys that start with it;
- start-after (v2) and marker (v1) keep the keys strictly after it;
- delimiter D (any string): a key whose rest after the prefix contains D is
  rolled up into the common prefix key[:len(prefix) + i + len(D)], i the
  first occurrence of D in that rest; each common prefix is returned once,
  in the place of its first key;
- a common prefix that sorts at or before the marker is not returned (its
  keys were listed, rolled up, on an earlier page): resuming after a
  marker that is a common prefix skips every key under it;
- max-keys counts keys and common prefixes together; IsTruncated says that
  more entries follow; a continuation token (v2) or NextMarker (v1) resumes
  right after the page's last entry, key or common prefix;
- v2 KeyCount = number of keys + number of common prefixes on the page;
- v1 NextMarker is returned when the listing is truncated and has a
  delimiter (it is the page's last entry); without a delimiter the client
  resumes from the last key.
"""

import itertools


def ukey(k):
    """The sort key of S3 keys: binary UTF-8."""
    return k.encode('utf-8')


class Model:
    """The objects of one bucket: key -> (size, etag)."""

    def __init__(self):
        self.objects = {}

    def put(self, key, size, etag):
        self.objects[key] = (size, etag)

    def delete(self, key):
        self.objects.pop(key, None)

    def sorted_keys(self):
        return sorted(self.objects, key=ukey)

    def entries(self, prefix='', delimiter=None, marker=None):
        """Yields ('K', key) and ('P', common prefix) in listing order,
        after marker."""
        prefix = prefix or ''
        bmarker = ukey(marker) if marker else None
        last = None
        for k in self.sorted_keys():
            if not k.startswith(prefix):
                continue
            if bmarker is not None and ukey(k) <= bmarker:
                continue
            if delimiter:
                i = k.find(delimiter, len(prefix))
                if i >= 0:
                    cp = k[:i + len(delimiter)]
                    if bmarker is not None and ukey(cp) <= bmarker:
                        continue
                    if cp != last:
                        last = cp
                        yield ('P', cp)
                    continue
            yield ('K', k)

    def page(self, prefix='', delimiter=None, max_keys=1000, marker=None):
        """One page: (contents [(key, size, etag)], common prefixes,
        truncated, last entry name)."""
        got = list(itertools.islice(
            self.entries(prefix, delimiter, marker), max_keys + 1))
        truncated = len(got) > max_keys
        got = got[:max_keys]
        contents = [(n,) + self.objects[n] for kind, n in got if kind == 'K']
        prefixes = [n for kind, n in got if kind == 'P']
        last = got[-1][1] if got else None
        return contents, prefixes, truncated, last

    def all_entries(self, prefix='', delimiter=None, marker=None):
        return list(self.entries(prefix, delimiter, marker))


class ListingMismatch(AssertionError):
    pass


def _page_summary(resp):
    return {
        'Contents': [(c['Key'], c['Size'], c['ETag'])
                     for c in resp.get('Contents', [])],
        'CommonPrefixes': [p['Prefix'] for p in resp.get('CommonPrefixes', [])],
        'IsTruncated': resp.get('IsTruncated'),
        'KeyCount': resp.get('KeyCount'),
        'NextMarker': resp.get('NextMarker'),
        'NextContinuationToken': resp.get('NextContinuationToken'),
    }


def _fail(what, req, pageno, expected, got):
    raise ListingMismatch(
        f'{what}\n  request: {req} (page {pageno})\n'
        f'  expected: {expected!r}\n  got:      {got!r}')


def _kwargs(bucket, prefix, delimiter, max_keys):
    kw = {'Bucket': bucket}
    if prefix is not None:
        kw['Prefix'] = prefix
    if delimiter is not None:
        kw['Delimiter'] = delimiter
    if max_keys is not None:
        kw['MaxKeys'] = max_keys
    return kw


def _check_page(req, pageno, resp, expected, mk, delimiter):
    """Compares what v1 and v2 pages share with the model's page
    (contents, prefixes, truncated); returns the page's summary."""
    contents, prefixes, truncated = expected
    got = _page_summary(resp)
    if got['Contents'] != contents:
        _fail('Contents differ', req, pageno, contents, got['Contents'])
    if got['CommonPrefixes'] != prefixes:
        _fail('CommonPrefixes differ', req, pageno, prefixes,
              got['CommonPrefixes'])
    if got['IsTruncated'] != truncated:
        _fail('IsTruncated differs', req, pageno, truncated,
              got['IsTruncated'])
    if resp.get('MaxKeys') != mk:
        _fail('MaxKeys not echoed', req, pageno, mk, resp.get('MaxKeys'))
    if resp.get('Delimiter') != delimiter:
        _fail('Delimiter not echoed', req, pageno, delimiter,
              resp.get('Delimiter'))
    return got


def check_v2(client, bucket, model, prefix=None, delimiter=None,
             max_keys=1000, start_after=None, max_pages=100000):
    """Pages through ListObjectsV2 with continuation tokens and compares
    every page with the model.  Returns the number of requests made."""
    marker = start_after
    token = None
    mk = 1000 if max_keys is None else min(max_keys, 1000)
    for pageno in itertools.count():
        if pageno >= max_pages:
            return pageno
        kw = _kwargs(bucket, prefix, delimiter, max_keys)
        if start_after is not None:
            kw['StartAfter'] = start_after
        if token is not None:
            kw['ContinuationToken'] = token
        req = f'list_objects_v2({kw})'
        resp = client.list_objects_v2(**kw)
        contents, prefixes, truncated, last = model.page(
            prefix, delimiter, mk, marker)
        got = _check_page(req, pageno, resp, (contents, prefixes, truncated),
                          mk, delimiter)
        if got['KeyCount'] != len(contents) + len(prefixes):
            _fail('KeyCount differs', req, pageno,
                  len(contents) + len(prefixes), got['KeyCount'])
        # (v2 only: botocore does not decode a v1 Prefix it asked to be
        # url-encoded)
        if (resp.get('Prefix') or '') != (prefix or ''):
            _fail('Prefix not echoed', req, pageno, prefix,
                  resp.get('Prefix'))
        if start_after is not None and resp.get('StartAfter') != start_after:
            _fail('StartAfter not echoed', req, pageno, start_after,
                  resp.get('StartAfter'))
        if token is not None and resp.get('ContinuationToken') != token:
            _fail('ContinuationToken not echoed', req, pageno, token,
                  resp.get('ContinuationToken'))
        if not truncated:
            if got['NextContinuationToken'] is not None:
                _fail('NextContinuationToken on the last page', req, pageno,
                      None, got['NextContinuationToken'])
            return pageno + 1
        token = got['NextContinuationToken']
        if not token:
            _fail('no NextContinuationToken on a truncated page', req,
                  pageno, '(a token)', got)
        marker = last
    return None


def check_v1(client, bucket, model, prefix=None, delimiter=None,
             max_keys=1000, marker=None, max_pages=100000):
    """Pages through ListObjects (v1) with markers (NextMarker, or the last
    key without a delimiter, as clients do) and compares every page with
    the model.  Returns the number of requests made."""
    mk = 1000 if max_keys is None else min(max_keys, 1000)
    cur = marker
    for pageno in itertools.count():
        if pageno >= max_pages:
            return pageno
        kw = _kwargs(bucket, prefix, delimiter, max_keys)
        if cur is not None:
            kw['Marker'] = cur
        req = f'list_objects({kw})'
        resp = client.list_objects(**kw)
        contents, prefixes, truncated, last = model.page(
            prefix, delimiter, mk, cur)
        got = _check_page(req, pageno, resp, (contents, prefixes, truncated),
                          mk, delimiter)
        if (resp.get('Marker') or '') != (cur or ''):
            _fail('Marker not echoed', req, pageno, cur, resp.get('Marker'))
        nm = got['NextMarker']
        if not truncated:
            if nm is not None:
                _fail('NextMarker on the last page', req, pageno, None, nm)
            return pageno + 1
        if delimiter is not None and nm != last:
            _fail('NextMarker is not the last entry of a truncated page',
                  req, pageno, last, nm)
        if delimiter is None and nm is not None and nm != last:
            _fail('NextMarker (optional without a delimiter) is not the '
                  'last key', req, pageno, last, nm)
        cur = nm if nm is not None else contents[-1][0]
    return None


def list_all_keys(client, bucket, prefix=None, page_size=1000):
    """Every key (v2 pages), checking the order and that no key repeats."""
    keys = []
    token = None
    while True:
        kw = {'Bucket': bucket, 'MaxKeys': page_size}
        if prefix is not None:
            kw['Prefix'] = prefix
        if token:
            kw['ContinuationToken'] = token
        r = client.list_objects_v2(**kw)
        keys += [c['Key'] for c in r.get('Contents', [])]
        if not r['IsTruncated']:
            break
        token = r['NextContinuationToken']
    return keys
