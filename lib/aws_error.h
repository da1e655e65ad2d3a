/*
 * aws_error: AWS error documents, and which errors are worth another
 * attempt. Every AWS answer that is not a success is read here: IAM, STS
 * and EC2 (Query APIs) and S3 (REST).
 *
 * Shapes read:
 *   JSON  {"Error": {"Type", "Code", "Message"}, "RequestId"}, also
 *         wrapped in {"ErrorResponse": ...} or as {"Errors": {"Error":
 *         ...}} or {"Errors": [...]} (the first), with the RequestId
 *         beside the Error, in ResponseMetadata or inside the Error; and
 *         the JSON-protocol form {"__type": "prefix#Code", "message"}.
 *   XML   <ErrorResponse><Error><Type/><Code/><Message/></Error>
 *         <RequestId/></ErrorResponse> (IAM, STS: AWS and moto answer in
 *         XML when a request fails before its ContentType is read),
 *         <Response><Errors><Error>... (EC2) and <Error><Code/>...
 *         </Error> (S3).
 * Texts have their control characters replaced by '?' (they are logged
 * as they are); a Message or RequestId longer than AWS_ERROR_TEXT_MAX is
 * cut there.
 *
 * Pure functions, no global state, nothing logged.
 */
#ifndef AWS_ERROR_H
#define AWS_ERROR_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

/* A longer Code is no error code; longer texts are cut. */
#define AWS_ERROR_CODE_MAX 128
#define AWS_ERROR_TEXT_MAX 1024
/* Error documents are shallow; IAM's answers are 5 levels deep. */
#define AWS_ERROR_MAX_DEPTH 32

struct aws_error {
    char *code;       /* never NULL: "NoSuchEntity", "Throttling", ... */
    char *type;       /* "Sender" / "Receiver", or NULL */
    char *message;    /* or NULL */
    char *request_id; /* or NULL */
};

/*
 * aws_error_parse - the error document in @body (@len bytes, need not be
 * NUL-terminated), JSON or XML by its first non-blank byte.
 * @ret_error: cleared on entry; on 0 the error, freed with
 *             aws_error_free().
 * Returns 0, -ENOMSG (no error document: a successful answer, an HTML
 * page, not JSON, an empty body), -EPROTO (an Error without a usable
 * Code), -ENOMEM, -EFBIG (@len over INT_MAX).
 */
int
aws_error_parse(const char *body, size_t len, struct aws_error **ret_error);

/*
 * aws_error_from_json - the error document in the parsed JSON @root.
 * Returns and sets *ret_error as aws_error_parse().
 */
int
aws_error_from_json(json_object *root, struct aws_error **ret_error);

/*
 * aws_error_from_xml - the error document in an XML @body.
 * Returns and sets *ret_error as aws_error_parse() (-ENOMSG: no
 * <Error> element).
 */
int
aws_error_from_xml(const char *body, size_t len,
                   struct aws_error **ret_error);

/* aws_error_free - free an error and its strings; NULL is allowed. */
void
aws_error_free(struct aws_error *error);

/*
 * aws_error_retryable - whether a failed call may be sent again after a
 * backoff.
 * @code: the AWS error code, or NULL when the body had none (an HTML page
 *        from a load balancer, an empty body).
 * @http_status: the HTTP status of the answer.
 * Returns true for throttling (Throttling, ThrottlingException,
 * RequestLimitExceeded, TooManyRequestsException), transient server
 * trouble (RequestTimeout, ServiceUnavailable, InternalFailure,
 * InternalError, ...) and, whatever else the code, HTTP
 * 429/500/502/503/504; false for everything else. Codes that say the
 * request itself or its credentials are refused (aws_error_denied(),
 * LimitExceeded, NoSuchEntity, ValidationError, ...) are false even with a
 * 5xx status: resending cannot change the answer, and hammering IAM eats
 * the account's shared token bucket.
 */
bool
aws_error_retryable(const char *code, long http_status);

/* aws_error_throttling - @code says "slow down" (counted apart). */
bool
aws_error_throttling(const char *code);

/*
 * aws_error_denied - @code refuses the caller's credentials or
 * permissions (AccessDenied, InvalidClientTokenId, SignatureDoesNotMatch,
 * ExpiredToken, ...): a setup to fix, not an outage.
 */
bool
aws_error_denied(const char *code);

#endif
