#include "online.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aws_client.h"
#include "aws_creds.h"
#include "aws_endpoint.h"
#include "aws_iam_json.h"
#include "aws_provider.h"
#include "iam_log.h"

/* Is @key_id Active in one ListSSHPublicKeys page? 1, 0, or -errno. */
static int
find_key(const struct aws_http_response *resp, const char *key_id,
         bool *ret_more, char **ret_marker)
{
    struct aws_iam_json_key_page *page = NULL;
    char perr[AWS_IAM_JSON_ERRBUF_SIZE];
    size_t i;
    int r;

    *ret_more = false;
    r = aws_iam_json_list_ssh_public_keys(resp->body, resp->body_len, perr,
                                          sizeof(perr), NULL, &page);
    if (r < 0) {
        iam_log(LOG_WARNING, "online check: %s", perr);
        return r;
    }
    r = 0;
    for (i = 0; i < page->n_keys; i++)
        if (strcmp(page->keys[i].ssh_public_key_id, key_id) == 0)
            r = page->keys[i].status == AWS_IAM_JSON_KEY_ACTIVE ? 1 : 0;
    if (r == 0 && page->is_truncated) {
        free(*ret_marker);
        *ret_marker = page->marker;
        page->marker = NULL;
        *ret_more = true;
    }
    aws_iam_json_key_page_free(page);
    return r;
}

static int
list_and_find(struct aws_client *c, struct aws_http *h,
              const char *iam_name, const char *key_id)
{
    struct aws_http_response resp;
    char err[512], code[64], *marker = NULL;
    bool more = true;
    int r = 0, pages = 0;

    while (more && pages++ < 10) {
        const char *params[] = { "UserName", iam_name,
                                 marker ? "Marker" : NULL, marker, NULL };

        r = aws_client_call(c, h, "ListSSHPublicKeys", params, &resp, err,
                            sizeof(err), code, sizeof(code));
        if (r == -EREMOTEIO && strcmp(code, "NoSuchEntity") == 0) {
            r = 0; /* the user itself is gone */
            break;
        }
        if (r < 0) {
            iam_log(LOG_WARNING, "online check: %s", err);
            break;
        }
        r = find_key(&resp, key_id, &more, &marker);
        aws_http_response_free(&resp);
        if (r != 0)
            break;
    }
    free(marker);
    return r;
}

int
online_check(const struct iam_config *cfg, const char *iam_name,
             const char *key_id)
{
    int64_t deadline = aws_client_now_ms() + cfg->verify_online_timeout_ms;
    struct aws_provider_source src;
    struct aws_client_opts o;
    struct aws_client c;
    struct aws_creds creds;
    struct aws_http h;
    int r;

    /* IAM and STS: one short try and one retry, within the deadline. */
    memset(&o, 0, sizeof(o));
    o.timeout_ms = cfg->verify_online_timeout_ms;
    o.max_attempts = 2;
    o.deadline_ms = deadline;
    o.backoff_base_ms = 50;
    memset(&src, 0, sizeof(src));
    src.imds_endpoint = cfg->imds_endpoint;
    src.sts_endpoint = cfg->sts_endpoint;
    src.region = cfg->aws_region;
    src.assume_role_arn = cfg->assumerole;
    src.session_name = "nss-iam-keys";
    src.imds_timeout_ms = cfg->verify_online_timeout_ms;
    src.sts = &o;
    aws_creds_init(&creds);
    r = aws_http_init(&h);
    if (r < 0)
        return r;
    r = aws_provider_resolve(&src, &h, time(NULL), &creds);
    if (r < 0) {
        iam_log(LOG_WARNING, "online check: no AWS credentials: %s",
                strerrordesc_np(-r));
        goto out;
    }
    r = aws_endpoint_iam(cfg->aws_region, cfg->iam_endpoint, &o.endpoint,
                         &o.region);
    if (r < 0) {
        iam_log(LOG_WARNING, "online check: AWS_REGION %s: no IAM endpoint "
                "known for its partition", cfg->aws_region);
        goto out;
    }
    o.service = "iam";
    o.version = "2010-05-08";
    o.json = true;
    r = aws_client_init(&c, &o, &creds);
    if (r >= 0) {
        r = list_and_find(&c, &h, iam_name, key_id);
        aws_client_destroy(&c);
    }
out:
    aws_creds_reset(&creds);
    aws_http_destroy(&h);
    return r;
}
