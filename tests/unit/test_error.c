/*
 * Unit tests for lib/aws/aws_error.c and lib/aws/aws_xml.c: AWS error documents
 * as IAM, STS, EC2 and S3 write them (fixtures from moto and AWS's
 * documentation, and hostile variants), and the one table of which
 * errors are retried, counted as throttling, or are a refusal.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "aws_error.h"
#include "aws_xml.h"
#include "fixture_body.h"
#include "fixture_path.h"

/* The bodies' directory, found by main() before any test runs. */
static char fixtures[512];

static struct fixture_body
load(const char *name)
{
    return fixture_body_load(fixtures, name);
}

/* aws_error_parse() of @s (copied to a buffer of its exact length). */
static int
parse(const char *s, struct aws_error **ret)
{
    size_t len = strlen(s);
    char *p = malloc(len ? len : 1);
    int r;

    assert_non_null(p);
    memcpy(p, s, len);
    r = aws_error_parse(p, len, ret);
    free(p);
    if (r < 0)
        assert_null(*ret);
    return r;
}

static int
parse_file(const char *name, struct aws_error **ret)
{
    struct fixture_body b = load(name);
    int r = aws_error_parse(b.p, b.len, ret);

    free(b.p);
    return r;
}

static void
test_moto_documents(void **state)
{
    struct aws_error *e = NULL;

    (void)state;
    assert_int_equal(parse_file("moto-error-no-such-key.json", &e), 0);
    assert_string_equal(e->code, "NoSuchEntity");
    aws_error_free(e);

    assert_int_equal(parse_file("moto-error-no-such-group.json", &e), 0);
    assert_string_equal(e->code, "NoSuchEntity");
    assert_string_equal(e->type, "Sender");
    assert_string_equal(e->message, "Group nope not found");
    assert_string_equal(e->request_id, "request-id");
    aws_error_free(e);

    /* Without ContentType=JSON moto answers in XML. */
    assert_int_equal(parse_file("moto-error-no-such-group.xml", &e), 0);
    assert_string_equal(e->code, "NoSuchEntity");
    assert_string_equal(e->message, "Group nope not found");
    assert_string_equal(e->request_id, "Kcxtw5HoBNmQ5BFyTAqNk6a5BEvQNNfMd4m"
                                       "w5Zaonc2qp4ECQeqE");
    aws_error_free(e);

    /* Authentication failures are XML even when JSON was asked for. */
    assert_int_equal(parse_file("moto-error-invalid-token.xml", &e), 0);
    assert_string_equal(e->code, "InvalidClientTokenId");
    assert_string_equal(e->type, "Sender");
    assert_null(e->request_id);
    aws_error_free(e);

    /* Entities are decoded. */
    assert_int_equal(parse_file("error-throttling.xml", &e), 0);
    assert_string_equal(e->code, "Throttling");
    assert_string_equal(e->message, "Rate exceeded & <slow down>");
    assert_string_equal(e->request_id, "3f0d2c1e-1111-4a4a-9b9b-EXAMPLE");
    aws_error_free(e);
}

/* What is no error document, and what is a broken one. */
static void
test_not_documents(void **state)
{
    struct aws_error *e = NULL;

    (void)state;
    assert_int_equal(parse_file("moto-list-users.json", &e), -ENOMSG);
    assert_null(e);
    assert_int_equal(parse_file("html-503.html", &e), -ENOMSG);
    assert_int_equal(parse("", &e), -ENOMSG);
    assert_int_equal(parse("oops", &e), -ENOMSG);
    assert_int_equal(parse("<ListUsersResponse/>", &e), -ENOMSG);
    assert_int_equal(aws_error_parse(NULL, 0, &e), -ENOMSG);
    assert_int_equal(parse_file("error-no-code.json", &e), -EPROTO);
    assert_int_equal(parse("{\"Error\":{\"Code\":5}}", &e), -EPROTO);
    assert_int_equal(parse("<Error><Message>no code</Message></Error>", &e),
                     -EPROTO);
    assert_int_equal(parse("<Error><Code>Access", &e), -EPROTO);
    assert_int_equal(parse("<Error><Code><b>x</b></Code></Error>", &e),
                     -EPROTO);
    assert_int_equal(parse("<Error><Code>a&bogus;</Code></Error>", &e),
                     -EPROTO);
}

static void
test_json_shapes(void **state)
{
    struct aws_error *e = NULL;
    char long_code[300];

    (void)state;
    assert_int_equal(parse_file("error-wrapped.json", &e), 0);
    assert_string_equal(e->code, "Throttling");
    assert_string_equal(e->request_id, "wrapped-req-1");
    aws_error_free(e);

    /* Control bytes in texts become '?', so they are safe to log. */
    assert_int_equal(parse_file("error-control-chars.json", &e), 0);
    assert_string_equal(e->message, "line one?line two?end");
    assert_string_equal(e->request_id, "ctl-1");
    assert_string_equal(e->type, "Receiver");
    aws_error_free(e);

    assert_int_equal(parse("{\"Errors\":[{\"Code\":\"RequestLimitExceeded\""
                           "}],\"RequestId\":\"q\"}",
                           &e),
                     0);
    assert_string_equal(e->code, "RequestLimitExceeded");
    assert_null(e->message);
    assert_null(e->type);
    assert_string_equal(e->request_id, "q");
    aws_error_free(e);

    /* STS: {"Error":...} with its RequestId beside it, null fields. */
    assert_int_equal(parse("{\"Error\":{\"Code\":\"AccessDenied\",\"Message\":"
                           "null,\"Type\":null},\"RequestId\":null}",
                           &e),
                     0);
    assert_string_equal(e->code, "AccessDenied");
    assert_null(e->message);
    assert_null(e->request_id);
    aws_error_free(e);

    /* The JSON protocol's __type form. */
    assert_int_equal(parse("{\"__type\":\"com.amazon.coral.availability#"
                           "ThrottlingException\",\"message\":\"Rate "
                           "exceeded\"}",
                           &e),
                     0);
    assert_string_equal(e->code, "ThrottlingException");
    assert_string_equal(e->message, "Rate exceeded");
    aws_error_free(e);
    assert_int_equal(parse("{\"__type\":\"AccessDeniedException:http://"
                           "internal.amazon.com/\",\"Message\":\"no\"}",
                           &e),
                     0);
    assert_string_equal(e->code, "AccessDeniedException");
    assert_string_equal(e->message, "no");
    aws_error_free(e);
    assert_int_equal(parse("{\"__type\":\"x#\"}", &e), -EPROTO);

    memset(long_code, 'A', sizeof(long_code));
    memcpy(long_code, "{\"Error\":{\"Code\":\"", 18);
    memcpy(long_code + 18 + AWS_ERROR_CODE_MAX + 1, "\"}}", 4);
    assert_int_equal(parse(long_code, &e), -EPROTO);
    long_code[18 + AWS_ERROR_CODE_MAX] = '"';
    long_code[18 + AWS_ERROR_CODE_MAX + 1] = '}';
    long_code[18 + AWS_ERROR_CODE_MAX + 2] = '}';
    long_code[18 + AWS_ERROR_CODE_MAX + 3] = '\0';
    assert_int_equal(parse(long_code, &e), 0);
    assert_int_equal(strlen(e->code), AWS_ERROR_CODE_MAX);
    aws_error_free(e);
}

/* S3 (<Error><Code>) and EC2 (<Response><Errors><Error>) documents. */
static void
test_xml_shapes(void **state)
{
    struct aws_error *e = NULL;
    const char *s3 = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error>"
                     "<Code>AccessDenied</Code><Message>Access Denied"
                     "</Message><RequestId>R1</RequestId></Error>";

    (void)state;
    assert_int_equal(aws_error_from_xml(s3, strlen(s3), &e), 0);
    assert_string_equal(e->code, "AccessDenied");
    assert_string_equal(e->message, "Access Denied");
    assert_string_equal(e->request_id, "R1");
    aws_error_free(e);
    assert_int_equal(parse("<Response><Errors><Error><Code>AuthFailure</Code>"
                           "<Message>AWS was not able to validate</Message>"
                           "</Error></Errors><RequestID>r</RequestID>"
                           "</Response>",
                           &e),
                     0);
    assert_string_equal(e->code, "AuthFailure");
    aws_error_free(e);
    /* Control bytes become '?'; the length bounds the search. */
    assert_int_equal(parse("<Error><Code>Access\nDenied</Code></Error>", &e),
                     0);
    assert_string_equal(e->code, "Access?Denied");
    aws_error_free(e);
    assert_int_equal(
        aws_error_from_xml("<Error><Code>Nope</Code></Error>", 18, &e),
        -EPROTO);
    assert_int_equal(aws_error_from_xml(NULL, 0, &e), -ENOMSG);
    assert_int_equal(parse("<Code></Code>", &e), -ENOMSG);
}

static void
test_xml_reader(void **state)
{
    static const char doc[] = "<a><b/><c>x &amp; y</c><c>2</c><d>"
                              "<e>in</e></d><f>&#10;</f></a>";
    struct aws_xml_span all = { doc, sizeof(doc) - 1 }, v, rest;
    char out[16];

    (void)state;
    assert_true(aws_xml_element(all, "b", &v, &rest));
    assert_int_equal(v.len, 0);
    assert_true(aws_xml_element(rest, "c", &v, &rest));
    assert_int_equal(aws_xml_text(v, out, sizeof(out)), 0);
    assert_string_equal(out, "x & y");
    assert_int_equal(aws_xml_text(v, out, 5), -ERANGE);
    assert_int_equal(aws_xml_text(v, out, 0), -ERANGE);
    assert_true(aws_xml_element(rest, "c", &v, NULL));
    assert_int_equal(aws_xml_text(v, out, sizeof(out)), 0);
    assert_string_equal(out, "2");
    assert_true(aws_xml_element(all, "d", &v, NULL));
    assert_int_equal(aws_xml_text(v, out, sizeof(out)), -EPROTO);
    assert_true(aws_xml_element(v, "e", &v, NULL));
    assert_int_equal(v.len, 2);
    assert_true(aws_xml_element(all, "f", &v, NULL));
    assert_int_equal(aws_xml_text(v, out, sizeof(out)), -EPROTO);
    assert_false(aws_xml_element(all, "g", &v, NULL));
    all.len = 12;
    assert_false(aws_xml_element(all, "c", &v, NULL));
}

static void
test_retryable(void **state)
{
    (void)state;
    assert_true(aws_error_retryable("Throttling", 400));
    assert_true(aws_error_retryable("ThrottlingException", 400));
    assert_true(aws_error_retryable("RequestLimitExceeded", 400));
    assert_true(aws_error_retryable("TooManyRequestsException", 400));
    assert_true(aws_error_retryable("RequestTimeout", 400));
    assert_true(aws_error_retryable("ServiceUnavailable", 503));
    assert_true(aws_error_retryable("InternalFailure", 500));
    assert_true(aws_error_retryable(NULL, 500));
    assert_true(aws_error_retryable(NULL, 502));
    assert_true(aws_error_retryable(NULL, 503));
    assert_true(aws_error_retryable(NULL, 504));
    assert_true(aws_error_retryable(NULL, 429));
    assert_true(aws_error_retryable("SomethingNew", 503));
    assert_false(aws_error_retryable(NULL, 501));
    assert_false(aws_error_retryable(NULL, 400));
    assert_false(aws_error_retryable(NULL, 200));
    assert_false(aws_error_retryable("SomethingNew", 400));
    assert_false(aws_error_retryable("LimitExceeded", 409));
    assert_false(aws_error_retryable("NoSuchEntity", 404));
    assert_false(aws_error_retryable("AccessDenied", 403));
    assert_false(aws_error_retryable("InvalidClientTokenId", 403));
    assert_false(aws_error_retryable("SignatureDoesNotMatch", 403));
    /* A refusal stays a refusal even behind a 5xx status. */
    assert_false(aws_error_retryable("AccessDenied", 503));
    assert_false(aws_error_retryable("ExpiredToken", 500));
    /* Codes compare exactly. */
    assert_false(aws_error_retryable("throttling", 400));
}

static void
test_kinds(void **state)
{
    (void)state;
    assert_true(aws_error_throttling("Throttling"));
    assert_true(aws_error_throttling("RequestLimitExceeded"));
    assert_false(aws_error_throttling("ServiceUnavailable"));
    assert_false(aws_error_throttling(NULL));
    assert_true(aws_error_denied("AccessDenied"));
    assert_true(aws_error_denied("InvalidClientTokenId"));
    assert_true(aws_error_denied("SignatureDoesNotMatch"));
    assert_true(aws_error_denied("ExpiredToken"));
    assert_true(aws_error_denied("RegionDisabledException"));
    assert_false(aws_error_denied("ValidationError"));
    assert_false(aws_error_denied("Throttling"));
    assert_false(aws_error_denied(NULL));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_moto_documents),
        cmocka_unit_test(test_not_documents),
        cmocka_unit_test(test_json_shapes),
        cmocka_unit_test(test_xml_shapes),
        cmocka_unit_test(test_xml_reader),
        cmocka_unit_test(test_retryable),
        cmocka_unit_test(test_kinds),
    };

    fixture_path("iam", fixtures, sizeof(fixtures));
    return cmocka_run_group_tests_name("error", tests, NULL, NULL);
}
