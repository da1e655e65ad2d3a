/*
 * aws_sqs: the two SQS calls a queue follower needs, ReceiveMessage (a
 * long poll) and DeleteMessageBatch, in SQS's JSON protocol (AWS JSON
 * 1.0: a POST to the endpoint's root with X-Amz-Target and the queue URL
 * in the body), signed for "sqs" through aws_client_rest().
 */
#ifndef AWS_SQS_H
#define AWS_SQS_H

#include <stddef.h>

#include "aws_client.h"
#include "aws_http.h"

/* SQS's limits: messages per receive and per delete batch. */
#define AWS_SQS_BATCH_MAX 10
/* The longest long poll SQS allows, in seconds. */
#define AWS_SQS_WAIT_MAX 20

/* The longest body taken (SQS's default MaximumMessageSize, and the most
 * an EventBridge event can be). A queue may be set to allow up to 1 MiB:
 * a longer body is returned empty, see aws_sqs_receive(). */
#define AWS_SQS_BODY_MAX (256 * 1024)

#define AWS_SQS_ENDPOINT_SIZE 512
#define AWS_SQS_REGION_SIZE 32

struct aws_sqs_message {
    char *message_id;
    char *receipt_handle;
    char *body;
    size_t body_len;
};

struct aws_sqs_batch {
    struct aws_sqs_message v[AWS_SQS_BATCH_MAX];
    size_t n;
};

/*
 * aws_sqs_endpoint - the endpoint ("https://sqs.eu-west-1.amazonaws.com",
 * scheme, host and port of @queue_url, no path) and the signing region
 * of a queue URL. The region is the host's for an AWS queue URL
 * (sqs.REGION.amazonaws.com[.cn], or the legacy REGION.queue.amazonaws.com);
 * @fallback_region for any other host (a VPC endpoint, a test peer).
 * Returns 0, or -EINVAL when @queue_url is not an http(s) URL with a
 * path of /ACCOUNT/NAME.
 */
int
aws_sqs_endpoint(const char *queue_url, const char *fallback_region,
                 char endpoint[AWS_SQS_ENDPOINT_SIZE],
                 char region[AWS_SQS_REGION_SIZE]);

/*
 * aws_sqs_receive - ReceiveMessage on @queue_url: at most @max (1..10)
 * messages, waiting up to @wait_s (0..20) seconds for the first, each
 * hidden from other receivers for @visibility_s (0..43200). @c must be
 * a client for the queue's endpoint with a per-request timeout longer
 * than @wait_s. On 0, @ret holds 0..@max messages (free with
 * aws_sqs_batch_free); each has a message id of 1 to 128 of
 * [A-Za-z0-9_-] (it is logged), a receipt handle of printable ASCII,
 * and a body, NUL-terminated after @body_len bytes. A body longer than
 * AWS_SQS_BODY_MAX is returned empty (logged): the message still can be
 * read as malformed and deleted, and does not block the queue.
 * Otherwise @ret is empty, @err says why, and the return is as for
 * aws_client_rest(), or -EREMOTEIO for an SQS error answer (its short
 * code in @err: "QueueDoesNotExist" also for the legacy
 * "AWS.SimpleQueueService.NonExistentQueue", "AccessDenied", ...),
 * -EPROTO for an answer that cannot be read (not JSON, a message
 * without an id, handle or body, more messages than asked for), -EINVAL
 * for arguments out of range or a client timeout not longer than
 * @wait_s.
 */
int
aws_sqs_receive(struct aws_client *c, struct aws_http *h, const char *queue_url,
                unsigned max, unsigned wait_s, unsigned visibility_s,
                struct aws_sqs_batch *ret, char *err, size_t errlen);

/*
 * aws_sqs_delete - DeleteMessageBatch of the @n messages of @v (any
 * number: sent in batches of 10). Returns the number deleted (entries
 * SQS reported as failed are not counted, and @err says how many failed
 * and why the first did; "" when none did), or -errno as for
 * aws_sqs_receive() when a batch could not be sent or its answer read
 * (the batches before it were sent: their messages may be gone).
 */
int
aws_sqs_delete(struct aws_client *c, struct aws_http *h, const char *queue_url,
               const struct aws_sqs_message *const *v, size_t n, char *err,
               size_t errlen);

void
aws_sqs_batch_free(struct aws_sqs_batch *b);

#endif
