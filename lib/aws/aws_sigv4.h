/*
 * aws_sigv4: AWS Signature Version 4 (AWS4-HMAC-SHA256), pure functions.
 *
 * Nothing here does I/O. Each step of the algorithm is its own function so
 * that each can be checked against AWS's published test vectors:
 *
 *   1. aws_sigv4_canonical_request()  request -> canonical request text
 *   2. aws_sigv4_scope()              date/region/service -> credential scope
 *   3. aws_sigv4_string_to_sign()     canonical request -> string to sign
 *   4. aws_sigv4_signing_key()        secret -> derived HMAC key
 *   5. aws_sigv4_signature()          key + string to sign -> hex signature
 *   6. aws_sigv4_authorization()      -> "Authorization" header value
 *
 * aws_sigv4_sign() chains them for the AWS client.
 *
 * Every function is thread-safe (no shared state). OpenSSL errors are
 * translated here to -EIO and their detail logged through iam_log().
 * Secrets (secret key, derived keys, session token copies) are wiped before
 * their memory is released and never logged.
 */
#ifndef AWS_SIGV4_H
#define AWS_SIGV4_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "aws_creds.h"

#define AWS_SIGV4_ALGORITHM "AWS4-HMAC-SHA256"
/* "20150830T123600Z" plus NUL */
#define AWS_SIGV4_AMZ_DATE_SIZE 17
/* 64 hex digits plus NUL */
#define AWS_SIGV4_HEX_SIZE 65
/* date(8) / region(63) / service(63) / aws4_request, plus NUL */
#define AWS_SIGV4_SCOPE_SIZE 160
/* Enough for an Authorization value with a dozen signed headers. */
#define AWS_SIGV4_AUTHZ_SIZE 1024
/* Headers a single request may ask to sign, including added ones. */
#define AWS_SIGV4_MAX_HEADERS 32

struct aws_sigv4_header {
    const char *name;  /* any case; lowercased when signed */
    const char *value; /* leading/trailing blanks and inner runs ignored */
};

/*
 * A request as it goes on the wire.
 *
 * @method: "GET", "POST", ...
 * @host: the Host header value: "iam.amazonaws.com", or "127.0.0.1:5000"
 *        when the port is not the scheme's default (aws_http_url_split()
 *        gives exactly what libcurl will send).
 * @path: the path as sent, "/" if empty or NULL. Every byte but the
 *        unreserved set and '/' is percent-encoded once more (SigV4 for
 *        every service but S3). The path is not normalized: callers send
 *        paths without "." or ".." segments.
 * @query: the query string as sent, without '?'; NULL or "" for none.
 *         Each name and value is percent-decoded, then encoded the SigV4
 *         way, so "%e1%88%b4", raw UTF-8 and "%E1%88%B4" sign the same.
 *         '+' is a literal plus (encoded %2B): encode spaces as %20.
 * @headers, @n_headers: headers to sign besides the ones
 *         aws_sigv4_sign() adds itself. For aws_sigv4_canonical_request()
 *         these are all the headers that are signed.
 * @body, @body_len: the payload (NULL/0 for none).
 */
struct aws_sigv4_request {
    const char *method;
    const char *host;
    const char *path;
    const char *query;
    const struct aws_sigv4_header *headers;
    size_t n_headers;
    const void *body;
    size_t body_len;
};

/*
 * aws_sigv4_uri_encode - percent-encode @len bytes of @in: A-Z a-z 0-9
 * - _ . ~ stay, '/' stays when @keep_slash, every other byte becomes %XX
 * (uppercase hex). Also used to build Query API parameters.
 * @ret_out: set to a malloc'ed NUL-terminated string the caller frees.
 * Returns 0, or -ENOMEM (*ret_out is then NULL).
 */
int
aws_sigv4_uri_encode(const char *in, size_t len, bool keep_slash,
                     char **ret_out);

/*
 * aws_sigv4_amz_date - format @now as the X-Amz-Date value
 * "YYYYMMDDTHHMMSSZ" (UTC).
 * Returns 0, or -EINVAL when @now is negative or past year 9999.
 */
int
aws_sigv4_amz_date(time_t now, char ret_amz_date[AWS_SIGV4_AMZ_DATE_SIZE]);

/*
 * aws_sigv4_canonical_request - step 1.
 * @req: the request; only @req->headers are signed (host, x-amz-date, ...
 *       must be among them); @req->host is not used here.
 * @ret_creq: malloc'ed canonical request (no trailing newline); the caller
 *            frees it, after explicit_bzero() if a token was signed.
 * @ret_signed_headers: malloc'ed "host;x-amz-date" list; caller frees.
 * Headers of the same name (any case) are joined with ',' in given order.
 * Returns 0, or
 *   -EINVAL  missing method, a header name that is empty or not an HTTP
 *            token, a value with CR, LF or NUL-like control bytes, more than
 *            AWS_SIGV4_MAX_HEADERS headers, or a bad %XX escape in @query;
 *   -ENOMEM  out of memory;
 *   -EIO     OpenSSL failed (logged).
 * Both out-params are NULL on failure.
 */
int
aws_sigv4_canonical_request(const struct aws_sigv4_request *req,
                            char **ret_creq, char **ret_signed_headers);

/*
 * aws_sigv4_scope - step 2: "YYYYMMDD/region/service/aws4_request".
 * @amz_date: a value from aws_sigv4_amz_date() (its first 8 bytes are used).
 * @region, @service: lowercase letters, digits and '-', 1 to 63 bytes.
 * Returns 0, or -EINVAL for a malformed argument.
 */
int
aws_sigv4_scope(const char *amz_date, const char *region, const char *service,
                char ret_scope[AWS_SIGV4_SCOPE_SIZE]);

/*
 * aws_sigv4_string_to_sign - step 3:
 * "AWS4-HMAC-SHA256\n" amz_date "\n" scope "\n" hex(sha256(creq)).
 * @ret_sts: malloc'ed result; caller frees.
 * Returns 0, -EINVAL (malformed amz_date), -ENOMEM or -EIO (OpenSSL).
 */
int
aws_sigv4_string_to_sign(const char *amz_date, const char *scope,
                         const char *creq, char **ret_sts);

/*
 * aws_sigv4_signing_key - step 4: HMAC chain from "AWS4" + @secret over
 * date (first 8 bytes of @amz_date), @region, @service, "aws4_request".
 * @ret_key: 32 bytes; a secret: wipe it with explicit_bzero() after use.
 * Returns 0, -EINVAL (empty or oversized secret, bad date) or -EIO.
 */
int
aws_sigv4_signing_key(const char *secret, const char *amz_date,
                      const char *region, const char *service,
                      unsigned char ret_key[32]);

/*
 * aws_sigv4_signature - step 5: hex(HMAC-SHA256(@key, @sts)), lowercase.
 * Returns 0 or -EIO.
 */
int
aws_sigv4_signature(const unsigned char key[32], const char *sts,
                    char ret_hex[AWS_SIGV4_HEX_SIZE]);

/*
 * aws_sigv4_authorization - step 6: "AWS4-HMAC-SHA256 Credential=KEYID/
 * SCOPE, SignedHeaders=LIST, Signature=HEX" into @ret (@size bytes).
 * Returns 0, -EINVAL (empty argument) or -ERANGE (@size too small; @ret is
 * then "").
 */
int
aws_sigv4_authorization(const char *access_key_id, const char *scope,
                        const char *signed_headers, const char *signature,
                        char *ret, size_t size);

/*
 * aws_sigv4_sign - sign @req with @creds for @region/@service at @now.
 *
 * Signs @req->headers plus "host" (= @req->host), "x-amz-date" and, when
 * @creds has a session token, "x-amz-security-token". The caller then sends
 * @req->headers unchanged plus:
 *     X-Amz-Date: <ret_amz_date>
 *     X-Amz-Security-Token: <creds->session_token>   (only if it has one)
 *     Authorization: <ret_authorization>
 * and must let the HTTP library send Host exactly as @req->host.
 *
 * @ret_authorization, @authorization_size: output buffer
 *     (AWS_SIGV4_AUTHZ_SIZE is plenty for the client's requests).
 * @ret_amz_date: the X-Amz-Date value used.
 * Returns 0, or
 *   -EINVAL  @req->host empty, @req->headers already hold host, x-amz-date,
 *            x-amz-security-token or authorization, @creds without key id
 *            or secret, or anything aws_sigv4_canonical_request() and
 *            aws_sigv4_scope() reject;
 *   -ERANGE  @authorization_size too small;
 *   -ENOMEM, -EIO as above.
 * On failure both outputs are "".
 */
int
aws_sigv4_sign(const struct aws_sigv4_request *req,
               const struct aws_creds *creds, const char *region,
               const char *service, time_t now, char *ret_authorization,
               size_t authorization_size,
               char ret_amz_date[AWS_SIGV4_AMZ_DATE_SIZE]);

/*
 * aws_sigv4_payload_hash - hex(SHA-256(@body)), lowercase: the value S3
 * wants in x-amz-content-sha256 (and that the signature covers).
 * @body may be NULL when @len is 0. Returns 0 (iam_sha256_hex: it
 * cannot fail; the int is kept for the callers that check it).
 */
int
aws_sigv4_payload_hash(const void *body, size_t len,
                       char ret_hex[AWS_SIGV4_HEX_SIZE]);

#endif
