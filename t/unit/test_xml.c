
/*
 * Copyright (C) ngx_s3 developers
 *
 * The request documents as AWS SDKs send them (botocore writes no XML
 * declaration, aws-sdk-js does; both set the S3 namespace), then what a
 * hostile or broken client may send instead.
 */


#include <errno.h>

#include "s3_xml.h"
#include "test.h"


#define XMLNS  " xmlns='http://s3.amazonaws.com/doc/2006-03-01/'"
#define DECL   "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"


static size_t test_load(const char *s);
static int test_inside(const s3_str_t *s);
static int test_complete(const char *s, size_t max);
static int test_delete(const char *s, size_t max);
static int test_einval(int rc);
static void test_complete_docs(void);
static void test_delete_docs(void);
static void test_tagging_docs(void);
static void test_cors_docs(void);
static void test_acl_docs(void);
static void test_create_bucket_docs(void);
static void test_malformed(void);
static void test_depth(void);


static char                buf[65536];
static size_t              buf_len;

static s3_xml_part_t       parts[8];
static s3_xml_complete_t   complete;
static s3_xml_object_t     objects[8];
static s3_xml_delete_t     del;


int
main(void)
{
    test_complete_docs();
    test_delete_docs();
    test_tagging_docs();
    test_cors_docs();
    test_acl_docs();
    test_create_bucket_docs();
    test_malformed();
    test_depth();

    return test_report("test_xml");
}


static size_t
test_load(const char *s)
{
    buf_len = strlen(s);
    memcpy(buf, s, buf_len);

    return buf_len;
}


/* a result slice lies inside the buffer it was parsed from */

static int
test_inside(const s3_str_t *s)
{
    return s->data >= buf && s->data + s->len <= buf + buf_len;
}


static int
test_complete(const char *s, size_t max)
{
    complete.parts = parts;
    complete.max = max;

    return s3_xml_parse_complete(buf, test_load(s), &complete);
}


static int
test_delete(const char *s, size_t max)
{
    del.objects = objects;
    del.max = max;

    return s3_xml_parse_delete(buf, test_load(s), &del);
}


static int
test_einval(int rc)
{
    return rc == S3_ERR && errno == EINVAL;
}


static void
test_complete_docs(void)
{
    int              rc;
    char             doc[256];
    s3_cksum_algo_e  algo;

    test_section("CompleteMultipartUpload");

    rc = test_complete("<CompleteMultipartUpload" XMLNS ">"
                       "<Part><ETag>\"0123\"</ETag>"
                       "<PartNumber>1</PartNumber></Part>"
                       "<Part><ETag>\"4567\"</ETag>"
                       "<PartNumber>2</PartNumber></Part>"
                       "</CompleteMultipartUpload>", 8);
    test_cond("botocore: two parts", rc == S3_OK && complete.nparts == 2);
    test_cond("numbers", parts[0].number == 1 && parts[1].number == 2);
    test_mem("ETag with its quotes", parts[0].etag.data, parts[0].etag.len,
             "\"0123\"");
    test_cond("no checksum", parts[1].cksum_algo == S3_CKSUM_NONE
                             && parts[1].cksum.len == 0);
    test_cond("slices inside the buffer", test_inside(&parts[0].etag)
                                          && test_inside(&parts[1].etag));

    rc = test_complete(DECL "<CompleteMultipartUpload" XMLNS ">"
                       "<Part><ChecksumCRC32>i9aeUg==</ChecksumCRC32>"
                       "<ETag>&quot;89ab&quot;</ETag>"
                       "<PartNumber>3</PartNumber></Part>"
                       "</CompleteMultipartUpload>", 8);
    test_cond("aws-sdk-js: declaration, &quot;",
              rc == S3_OK && complete.nparts == 1 && parts[0].number == 3);
    test_mem("ETag quotes decoded", parts[0].etag.data, parts[0].etag.len,
             "\"89ab\"");
    test_cond("CRC32 carried", parts[0].cksum_algo == S3_CKSUM_CRC32);
    test_mem("checksum as sent", parts[0].cksum.data, parts[0].cksum.len,
             "i9aeUg==");

    rc = test_complete(DECL "\r\n<CompleteMultipartUpload" XMLNS ">\r\n"
                       "  <!-- the parts -->\r\n"
                       "  <Part>\r\n    <PartNumber> 10000 </PartNumber>\r\n"
                       "    <ETag>\"e\"</ETag>\r\n"
                       "    <ChecksumSHA256>x</ChecksumSHA256>\r\n"
                       "  </Part>\r\n"
                       "</CompleteMultipartUpload>\r\n<!-- end -->\n", 8);
    test_cond("pretty-printed, CRLF, comments",
              rc == S3_OK && complete.nparts == 1
              && parts[0].number == 10000
              && parts[0].cksum_algo == S3_CKSUM_SHA256);

    for (algo = S3_CKSUM_CRC32; algo <= S3_CKSUM_SHA256; algo++) {
        snprintf(doc, sizeof(doc), "<CompleteMultipartUpload><Part>"
                 "<PartNumber>1</PartNumber><ETag>e</ETag><%s>v</%s>"
                 "</Part></CompleteMultipartUpload>",
                 s3_cksum_element(algo), s3_cksum_element(algo));

        if (test_complete(doc, 8) != S3_OK
            || parts[0].cksum_algo != algo)
        {
            printf("        element: %s\n", s3_cksum_element(algo));
            test_cond("a Checksum* element of s3_cksum.h", 0);
        }
    }

    test_cond("every Checksum* element of s3_cksum.h is known", 1);

    rc = test_complete("<s3:CompleteMultipartUpload xmlns:s3=\"urn:x\">"
                       "<s3:Part><s3:PartNumber>0</s3:PartNumber>"
                       "<s3:ETag/><s3:ChecksumCRC64NVME>q</s3:"
                       "ChecksumCRC64NVME></s3:Part>"
                       "</s3:CompleteMultipartUpload>", 8);
    test_cond("prefixed names; part 0 and an empty ETag are the caller's",
              rc == S3_OK && parts[0].number == 0 && parts[0].etag.len == 0
              && parts[0].cksum_algo == S3_CKSUM_CRC64NVME);

    rc = test_complete("<CompleteMultipartUpload>"
                       "<Unknown a='1'><Deep><Deeper>t&amp;</Deeper></Deep>"
                       "</Unknown><Part><PartNumber>4294967295</PartNumber>"
                       "<ETag>e</ETag><Size>5</Size></Part>"
                       "</CompleteMultipartUpload>", 8);
    test_cond("unknown elements skipped; the largest number",
              rc == S3_OK && complete.nparts == 1
              && parts[0].number == 4294967295U);

    test_cond("PartNumber over 32 bits",
              test_einval(test_complete("<CompleteMultipartUpload><Part>"
                  "<PartNumber>4294967296</PartNumber><ETag>e</ETag>"
                  "</Part></CompleteMultipartUpload>", 8)));
    test_cond("PartNumber of 40 digits",
              test_einval(test_complete("<CompleteMultipartUpload><Part>"
                  "<PartNumber>1000000000000000000000000000000000000001"
                  "</PartNumber><ETag>e</ETag>"
                  "</Part></CompleteMultipartUpload>", 8)));
    test_cond("negative PartNumber",
              test_einval(test_complete("<CompleteMultipartUpload><Part>"
                  "<PartNumber>-1</PartNumber><ETag>e</ETag>"
                  "</Part></CompleteMultipartUpload>", 8)));
    test_cond("empty PartNumber",
              test_einval(test_complete("<CompleteMultipartUpload><Part>"
                  "<PartNumber></PartNumber><ETag>e</ETag>"
                  "</Part></CompleteMultipartUpload>", 8)));
    test_cond("PartNumber missing",
              test_einval(test_complete("<CompleteMultipartUpload><Part>"
                  "<ETag>e</ETag></Part></CompleteMultipartUpload>", 8)));
    test_cond("ETag missing",
              test_einval(test_complete("<CompleteMultipartUpload><Part>"
                  "<PartNumber>1</PartNumber></Part>"
                  "</CompleteMultipartUpload>", 8)));
    test_cond("ETag twice",
              test_einval(test_complete("<CompleteMultipartUpload><Part>"
                  "<PartNumber>1</PartNumber><ETag>a</ETag><ETag>b</ETag>"
                  "</Part></CompleteMultipartUpload>", 8)));
    test_cond("two checksums in a part",
              test_einval(test_complete("<CompleteMultipartUpload><Part>"
                  "<PartNumber>1</PartNumber><ETag>a</ETag>"
                  "<ChecksumCRC32>x</ChecksumCRC32>"
                  "<ChecksumCRC32C>y</ChecksumCRC32C>"
                  "</Part></CompleteMultipartUpload>", 8)));
    test_cond("no part",
              test_einval(test_complete("<CompleteMultipartUpload" XMLNS
                                        "></CompleteMultipartUpload>", 8)));
    test_cond("empty root",
              test_einval(test_complete("<CompleteMultipartUpload/>", 8)));
    test_cond("wrong root",
              test_einval(test_complete("<Complete><Part><PartNumber>1"
                  "</PartNumber><ETag>e</ETag></Part></Complete>", 8)));

    rc = test_complete("<CompleteMultipartUpload>"
                       "<Part><PartNumber>1</PartNumber><ETag>a</ETag></Part>"
                       "<Part><PartNumber>2</PartNumber><ETag>b</ETag></Part>"
                       "<Part><PartNumber>3</PartNumber><ETag>c</ETag></Part>"
                       "</CompleteMultipartUpload>", 2);
    test_cond("a part more than the room is E2BIG",
              rc == S3_ERR && errno == E2BIG);
}


static void
test_delete_docs(void)
{
    int  rc;

    test_section("Delete");

    rc = test_delete("<Delete" XMLNS "><Object><Key>a</Key></Object>"
                     "<Object><Key>b b</Key><VersionId>v1</VersionId>"
                     "</Object><Quiet>true</Quiet></Delete>", 8);
    test_cond("botocore: two objects, quiet",
              rc == S3_OK && del.nobjects == 2 && del.quiet == 1);
    test_mem("key", objects[0].key.data, objects[0].key.len, "a");
    test_cond("no version", objects[0].version_id.len == 0);
    test_mem("key with a space", objects[1].key.data, objects[1].key.len,
             "b b");
    test_mem("version", objects[1].version_id.data,
             objects[1].version_id.len, "v1");

    rc = test_delete(DECL "<Delete" XMLNS "><Quiet>FALSE</Quiet>"
                     "<Object><Key>&amp;&lt;&gt;&quot;&apos;</Key></Object>"
                     "<Object><Key>&#x41;&#65;&#X41;</Key></Object>"
                     "</Delete>", 8);
    test_cond("&#X41; is not a reference", test_einval(rc));

    rc = test_delete(DECL "<Delete" XMLNS "><Quiet>FALSE</Quiet>"
                     "<Object><Key>&amp;&lt;&gt;&quot;&apos;</Key></Object>"
                     "<Object><Key>&#x41;&#65;&#x4E2D;&#x1F600;</Key>"
                     "</Object><Object><Key>\xd0\xba\xd0\xbb\xd1\x8e\xd1"
                     "\x87 /x</Key></Object></Delete>", 8);
    test_cond("aws-sdk-js: quiet FALSE, three objects",
              rc == S3_OK && del.nobjects == 3 && del.quiet == 0);
    test_mem("named references", objects[0].key.data, objects[0].key.len,
             "&<>\"'");
    test_mem("character references to UTF-8", objects[1].key.data,
             objects[1].key.len, "AA\xe4\xb8\xad\xf0\x9f\x98\x80");
    test_mem("UTF-8 key as sent", objects[2].key.data, objects[2].key.len,
             "\xd0\xba\xd0\xbb\xd1\x8e\xd1\x87 /x");
    test_cond("slices inside the buffer", test_inside(&objects[0].key)
                                          && test_inside(&objects[1].key)
                                          && test_inside(&objects[2].key));

    rc = test_delete("<Delete><Object><Key> a\r\nb\rc&#13;&#x1; </Key>"
                     "</Object></Delete>", 8);
    test_mem("spaces kept, line ends made LF, &#13; and &#x1; kept",
             objects[0].key.data, objects[0].key.len, " a\nb\nc\r\x01 ");

    rc = test_delete("<Delete><Object><Key>a<!-- c -->b</Key>"
                     "</Object></Delete>", 8);
    test_mem("a comment inside a key", objects[0].key.data,
             objects[0].key.len, "ab");

    rc = test_delete("<Delete><Object><Key/></Object></Delete>", 8);
    test_cond("an empty key is the caller's",
              rc == S3_OK && del.nobjects == 1 && objects[0].key.len == 0);

    test_cond("Key missing", test_einval(test_delete(
        "<Delete><Object><VersionId>v</VersionId></Object></Delete>", 8)));
    test_cond("no object", test_einval(test_delete(
        "<Delete><Quiet>true</Quiet></Delete>", 8)));
    test_cond("Quiet not a boolean", test_einval(test_delete(
        "<Delete><Quiet>yes</Quiet><Object><Key>a</Key></Object>"
        "</Delete>", 8)));
    test_cond("Quiet twice", test_einval(test_delete(
        "<Delete><Quiet>true</Quiet><Quiet>true</Quiet>"
        "<Object><Key>a</Key></Object></Delete>", 8)));
    test_cond("element inside a key", test_einval(test_delete(
        "<Delete><Object><Key>a<b/></Key></Object></Delete>", 8)));

    rc = test_delete("<Delete><Object><Key>a</Key></Object>"
                     "<Object><Key>b</Key></Object></Delete>", 1);
    test_cond("more objects than room is E2BIG",
              rc == S3_ERR && errno == E2BIG);
}


static void
test_tagging_docs(void)
{
    int                rc;
    s3_xml_tag_t       tags[4];
    s3_xml_tagging_t   doc;

    test_section("Tagging");

    doc.tags = tags;
    doc.max = 4;

    rc = s3_xml_parse_tagging(buf, test_load(
        "<Tagging" XMLNS "><TagSet><Tag><Key>k 1</Key><Value>v&amp;1</Value>"
        "</Tag><Tag><Key>k2</Key><Value></Value></Tag></TagSet></Tagging>"),
        &doc);
    test_cond("two tags", rc == S3_OK && doc.ntags == 2);
    test_mem("key", tags[0].key.data, tags[0].key.len, "k 1");
    test_mem("value", tags[0].value.data, tags[0].value.len, "v&1");
    test_cond("empty value", tags[1].value.len == 0
                             && test_inside(&tags[1].value));

    rc = s3_xml_parse_tagging(buf, test_load(
        DECL "<Tagging" XMLNS "><TagSet/></Tagging>"), &doc);
    test_cond("empty TagSet", rc == S3_OK && doc.ntags == 0);

    test_cond("TagSet missing", test_einval(s3_xml_parse_tagging(buf,
        test_load("<Tagging></Tagging>"), &doc)));
    test_cond("Value missing", test_einval(s3_xml_parse_tagging(buf,
        test_load("<Tagging><TagSet><Tag><Key>k</Key></Tag></TagSet>"
                  "</Tagging>"), &doc)));
    test_cond("TagSet twice", test_einval(s3_xml_parse_tagging(buf,
        test_load("<Tagging><TagSet/><TagSet/></Tagging>"), &doc)));

    doc.max = 1;
    rc = s3_xml_parse_tagging(buf, test_load(
        "<Tagging><TagSet><Tag><Key>a</Key><Value>1</Value></Tag>"
        "<Tag><Key>b</Key><Value>2</Value></Tag></TagSet></Tagging>"), &doc);
    test_cond("a tag more than the room is E2BIG",
              rc == S3_ERR && errno == E2BIG);
}


static void
test_cors_docs(void)
{
    int                  rc;
    s3_xml_cors_t        doc;
    s3_xml_cors_rule_t   rules[4];
    s3_xml_cors_value_t  values[16];

    test_section("CORSConfiguration");

    doc.rules = rules;
    doc.max_rules = 4;
    doc.values = values;
    doc.max_values = 16;

    rc = s3_xml_parse_cors(buf, test_load(
        "<CORSConfiguration" XMLNS "><CORSRule><ID>r1</ID>"
        "<AllowedHeader>*</AllowedHeader>"
        "<AllowedMethod>PUT</AllowedMethod><AllowedMethod>GET</AllowedMethod>"
        "<AllowedOrigin>https://a.example</AllowedOrigin>"
        "<ExposeHeader>ETag</ExposeHeader>"
        "<MaxAgeSeconds> 3000 </MaxAgeSeconds></CORSRule>"
        "<CORSRule><AllowedMethod>GET</AllowedMethod>"
        "<AllowedOrigin>*</AllowedOrigin></CORSRule>"
        "</CORSConfiguration>"), &doc);
    test_cond("two rules, eight values",
              rc == S3_OK && doc.nrules == 2 && doc.nvalues == 9);
    test_cond("rule spans", rules[0].first == 0 && rules[0].n == 7
                            && rules[1].first == 7 && rules[1].n == 2);
    test_cond("kinds in document order",
              values[0].kind == S3_XML_CORS_ID
              && values[1].kind == S3_XML_CORS_HEADER
              && values[2].kind == S3_XML_CORS_METHOD
              && values[4].kind == S3_XML_CORS_ORIGIN
              && values[5].kind == S3_XML_CORS_EXPOSE
              && values[6].kind == S3_XML_CORS_MAX_AGE
              && values[8].kind == S3_XML_CORS_ORIGIN);
    test_mem("origin", values[4].value.data, values[4].value.len,
             "https://a.example");
    test_mem("max age trimmed", values[6].value.data, values[6].value.len,
             "3000");

    test_cond("no rule", test_einval(s3_xml_parse_cors(buf, test_load(
        "<CORSConfiguration/>"), &doc)));
    test_cond("rule without AllowedOrigin",
              test_einval(s3_xml_parse_cors(buf, test_load(
                  "<CORSConfiguration><CORSRule><AllowedMethod>GET"
                  "</AllowedMethod></CORSRule></CORSConfiguration>"), &doc)));
    test_cond("rule without AllowedMethod",
              test_einval(s3_xml_parse_cors(buf, test_load(
                  "<CORSConfiguration><CORSRule><AllowedOrigin>*"
                  "</AllowedOrigin></CORSRule></CORSConfiguration>"), &doc)));
    test_cond("negative MaxAgeSeconds",
              test_einval(s3_xml_parse_cors(buf, test_load(
                  "<CORSConfiguration><CORSRule><AllowedOrigin>*"
                  "</AllowedOrigin><AllowedMethod>GET</AllowedMethod>"
                  "<MaxAgeSeconds>-1</MaxAgeSeconds>"
                  "</CORSRule></CORSConfiguration>"), &doc)));
    test_cond("MaxAgeSeconds over an int",
              test_einval(s3_xml_parse_cors(buf, test_load(
                  "<CORSConfiguration><CORSRule><AllowedOrigin>*"
                  "</AllowedOrigin><AllowedMethod>GET</AllowedMethod>"
                  "<MaxAgeSeconds>2147483648</MaxAgeSeconds>"
                  "</CORSRule></CORSConfiguration>"), &doc)));

    doc.max_values = 2;
    rc = s3_xml_parse_cors(buf, test_load(
        "<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin>"
        "<AllowedMethod>GET</AllowedMethod><AllowedMethod>PUT"
        "</AllowedMethod></CORSRule></CORSConfiguration>"), &doc);
    test_cond("a value more than the room is E2BIG",
              rc == S3_ERR && errno == E2BIG);
}


static void
test_acl_docs(void)
{
    int              rc;
    s3_xml_acl_t     doc;
    s3_xml_grant_t   grants[4];

    test_section("AccessControlPolicy");

    doc.grants = grants;
    doc.max = 4;

    rc = s3_xml_parse_acl(buf, test_load(
        "<AccessControlPolicy" XMLNS "><Owner><DisplayName>me"
        "</DisplayName><ID>abc</ID></Owner><AccessControlList>"
        "<Grant><Grantee xmlns:xsi='http://www.w3.org/2001/"
        "XMLSchema-instance' xsi:type=\"CanonicalUser\"><ID>abc</ID>"
        "</Grantee><Permission>FULL_CONTROL</Permission></Grant>"
        "<Grant><Grantee xmlns:xsi='http://www.w3.org/2001/"
        "XMLSchema-instance' xsi:type = 'Group'><URI>http://acs.amazonaws"
        ".com/groups/global/AllUsers</URI></Grantee>"
        "<Permission>READ</Permission></Grant>"
        "</AccessControlList></AccessControlPolicy>"), &doc);
    test_cond("two grants", rc == S3_OK && doc.ngrants == 2);
    test_mem("owner", doc.owner_id.data, doc.owner_id.len, "abc");
    test_mem("type", grants[0].type.data, grants[0].type.len,
             "CanonicalUser");
    test_mem("id", grants[0].id.data, grants[0].id.len, "abc");
    test_mem("permission", grants[0].permission.data,
             grants[0].permission.len, "FULL_CONTROL");
    test_mem("group type, single quotes", grants[1].type.data,
             grants[1].type.len, "Group");
    test_mem("uri", grants[1].uri.data, grants[1].uri.len,
             "http://acs.amazonaws.com/groups/global/AllUsers");
    test_cond("no id for a group", grants[1].id.len == 0);

    test_cond("Permission missing", test_einval(s3_xml_parse_acl(buf,
        test_load("<AccessControlPolicy><AccessControlList><Grant>"
                  "<Grantee><ID>a</ID></Grantee></Grant>"
                  "</AccessControlList></AccessControlPolicy>"), &doc)));
    test_cond("AccessControlList missing", test_einval(s3_xml_parse_acl(buf,
        test_load("<AccessControlPolicy><Owner><ID>a</ID></Owner>"
                  "</AccessControlPolicy>"), &doc)));
    test_cond("attribute without quotes", test_einval(s3_xml_parse_acl(buf,
        test_load("<AccessControlPolicy><AccessControlList><Grant>"
                  "<Grantee xsi:type=Group></Grantee><Permission>READ"
                  "</Permission></Grant></AccessControlList>"
                  "</AccessControlPolicy>"), &doc)));
    test_cond("'<' in an attribute", test_einval(s3_xml_parse_acl(buf,
        test_load("<AccessControlPolicy a=\"<\"><AccessControlList/>"
                  "</AccessControlPolicy>"), &doc)));
    test_cond("attributes run together", test_einval(s3_xml_parse_acl(buf,
        test_load("<AccessControlPolicy a=\"1\"b=\"2\"><AccessControlList/>"
                  "</AccessControlPolicy>"), &doc)));
}


static void
test_create_bucket_docs(void)
{
    s3_xml_create_bucket_t  doc;

    test_section("CreateBucketConfiguration");

    test_cond("no body", s3_xml_parse_create_bucket(buf, 0, &doc) == S3_OK
                         && doc.location.len == 0);

    test_cond("location", s3_xml_parse_create_bucket(buf, test_load(
        "<CreateBucketConfiguration" XMLNS "><LocationConstraint>eu-west-1"
        "</LocationConstraint></CreateBucketConfiguration>"), &doc) == S3_OK);
    test_mem("the region", doc.location.data, doc.location.len,
             "eu-west-1");

    test_cond("empty configuration", s3_xml_parse_create_bucket(buf,
        test_load(DECL "<CreateBucketConfiguration" XMLNS "/>"), &doc)
        == S3_OK && doc.location.len == 0);

    test_cond("whitespace only", test_einval(s3_xml_parse_create_bucket(buf,
        test_load(" \n"), &doc)));
}


static void
test_malformed(void)
{
    size_t       i;
    const char  *ok;

    static const char  *bad[] = {
        "",
        "   ",
        DECL,
        "<Delete><Object><Key>a</Key></Object>",
        "<Delete><Object><Key>a</Key></Object></Delete",
        "<Delete><Object><Key>a</Key></Object></Delete >x",
        "x<Delete><Object><Key>a</Key></Object></Delete>",
        "<Delete><Object><Key>a</Key></Object></Delete><Delete/>",
        "<Delete><Object><Key>a</Key></Object></Delete>x",
        "<Delete><Object><Key>a</Object></Key></Delete>",
        "<Delete><Object><Key>a</Key></Object></delete>",
        "<Delete><Object><Key>a</Key>text</Object></Delete>",
        "<Delete>text<Object><Key>a</Key></Object></Delete>",
        "<Delete><Object><Key>a&foo;</Key></Object></Delete>",
        "<Delete><Object><Key>a&amp</Key></Object></Delete>",
        "<Delete><Object><Key>a & b</Key></Object></Delete>",
        "<Delete><Object><Key>&#0;</Key></Object></Delete>",
        "<Delete><Object><Key>&#;</Key></Object></Delete>",
        "<Delete><Object><Key>&#x;</Key></Object></Delete>",
        "<Delete><Object><Key>&#xD800;</Key></Object></Delete>",
        "<Delete><Object><Key>&#x110000;</Key></Object></Delete>",
        "<Delete><Object><Key>&#99999999999999999999;</Key></Object></Delete>",
        "<Delete><Object><Key>&#1a;</Key></Object></Delete>",
        "<Delete><Object><Key>a\x01</Key></Object></Delete>",
        "<!DOCTYPE d [<!ENTITY e \"x\">]><Delete><Object><Key>&e;</Key>"
            "</Object></Delete>",
        "<Delete><Object><Key><![CDATA[a]]></Key></Object></Delete>",
        "<Delete><Object><Key>a</Key></Object><!-- x </Delete>",
        "<?xml version=\"1.0\"<Delete><Object><Key>a</Key></Object></Delete>",
        "<Delete><Object><Key>a</Key></Object></Delete><!- x -->",
        "<Delete><Object><Key>a</Key></Object></>",
        "<Delete><Object><Key>a</Key></Object><></></Delete>",
        "<Delete><Object><Key>a</Key></Object><X y></X></Delete>",
        "<Delete><Object><Key>a</Key></Object><X y=\"1></X></Delete>",
        "<Delete><Object><Key>a</Key></Object><X/ ></Delete>",
        "<Delete><Object><Key>a</Key></Object><X><Y></X></Y></Delete>",
        "<Delete><Object><Key>a</Key></Object><X>&bad;</X></Delete>",
        "<Delete><Object><Key>a</Key></Object><X><![CDATA[x]]></X></Delete>",
    };

    test_section("malformed");

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (!test_einval(test_delete(bad[i], 8))) {
            printf("        input: \"%s\"\n", bad[i]);
            test_cond("malformed document is EINVAL", 0);
        }
    }

    test_cond("every malformed document is EINVAL", 1);

    ok = "<Delete><Object><Key>a</Key></Object><X y=\">\" z='&amp;'>"
         "<Y/>text<!-- c --><?pi x?></X></Delete>";
    test_cond("the same shapes, well-formed, are fine",
              test_delete(ok, 8) == S3_OK && del.nobjects == 1);

    memcpy(buf, "<Delete><Object><Key>a\0b</Key></Object></Delete>", 48);
    buf_len = 48;
    del.max = 8;
    test_cond("a NUL byte is EINVAL",
              test_einval(s3_xml_parse_delete(buf, 48, &del)));

    test_cond("a UTF-8 BOM is fine", test_delete(
        "\xef\xbb\xbf<Delete><Object><Key>a</Key></Object></Delete>", 8)
        == S3_OK);
}


static void
test_depth(void)
{
    char    doc[1024], *p;
    size_t  i, depth;

    test_section("depth");

    for (depth = S3_XML_MAX_DEPTH - 1; depth <= S3_XML_MAX_DEPTH; depth++) {
        p = doc;
        p += sprintf(p, "<Delete><Object><Key>a</Key></Object>");

        for (i = 1; i < depth; i++) {
            p += sprintf(p, "<X>");
        }

        p += sprintf(p, "<Y/>");

        for (i = 1; i < depth; i++) {
            p += sprintf(p, "</X>");
        }

        sprintf(p, "</Delete>");

        if (depth < S3_XML_MAX_DEPTH) {
            test_cond("S3_XML_MAX_DEPTH levels are fine",
                      test_delete(doc, 8) == S3_OK);

        } else {
            test_cond("one level more is EINVAL",
                      test_einval(test_delete(doc, 8)));
        }
    }

    p = doc;
    p += sprintf(p, "<Delete>");

    for (i = 0; i < 200; i++) {
        p += sprintf(p, "<X>");
    }

    sprintf(p, "</Delete>");
    test_cond("deep unclosed nesting is EINVAL",
              test_einval(test_delete(doc, 8)));
}
