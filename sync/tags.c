#include "tags.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aws_client.h"
#include "aws_ec2_tags.h"
#include "aws_http.h"
#include "aws_imds.h"
#include "iam_log.h"

#define EC2_VERSION "2016-11-15"

/* The characters of an IAM group name, as the config accepts them. */
static bool
valid_group(const char *s)
{
    size_t n = strlen(s);

    return n > 0 && n <= 128 &&
           strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                     "0123456789+=.@_-") == n;
}

/* Splits "a, b,c" into @ret; "##ALL##" sets *ret_all. */
static int
split_list(const char *tag, const char *value, struct iam_strlist *ret,
           bool *ret_all)
{
    char *copy, *save = NULL, *tok, *end;
    int r = 0;

    memset(ret, 0, sizeof(*ret));
    *ret_all = strcmp(value, IAM_CONFIG_SUDOERS_ALL) == 0;
    if (*ret_all)
        return 0;
    copy = strdup(value);
    ret->v = calloc(strlen(value) / 2 + 2, sizeof(*ret->v));
    if (!copy || !ret->v) {
        free(copy);
        return -ENOMEM;
    }
    for (tok = strtok_r(copy, ",", &save); tok && r == 0;
         tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ')
            tok++;
        end = tok + strlen(tok);
        while (end > tok && end[-1] == ' ')
            *--end = '\0';
        if (!valid_group(tok)) {
            iam_log(LOG_ERR, "tag %s: \"%s\" is not an IAM group name", tag,
                    tok);
            r = -EINVAL;
        } else if (!(ret->v[ret->n++] = strdup(tok))) {
            r = -ENOMEM;
        }
    }
    free(copy);
    return r;
}

struct ec2 {
    struct aws_http h;
    struct aws_imds imds;
    struct aws_client client;
    bool client_ready;
    char instance_id[64];
};

/* The EC2 endpoint of the configured region. */
static void
ec2_endpoint(const struct iam_config *cfg, char *ret, size_t len)
{
    const char *region = cfg->aws_region;

    if (cfg->ec2_endpoint)
        snprintf(ret, len, "%s", cfg->ec2_endpoint);
    else
        snprintf(ret, len, "https://ec2.%s.amazonaws.com%s", region,
                 strncmp(region, "cn-", 3) == 0 ? ".cn" : "");
}

static int
ec2_open(struct ec2 *e, const struct iam_config *cfg,
         const struct aws_creds *base, int64_t deadline, char *endpoint,
         size_t len)
{
    struct aws_client_opts o;
    char *body = NULL;
    size_t blen = 0;
    int r;

    r = aws_http_init(&e->h);
    if (r < 0)
        return r;
    r = aws_imds_init(cfg->imds_endpoint, 2000, &e->imds);
    if (r < 0)
        return r;
    r = aws_imds_get(&e->imds, &e->h, "/latest/meta-data/instance-id",
                     time(NULL), &body, &blen);
    if (r < 0 || blen == 0 || blen >= sizeof(e->instance_id)) {
        iam_log(LOG_ERR, "tags: no instance id from IMDS");
        free(body);
        return r < 0 ? r : -EPROTO;
    }
    memcpy(e->instance_id, body, blen);
    e->instance_id[blen] = '\0';
    free(body);
    ec2_endpoint(cfg, endpoint, len);
    memset(&o, 0, sizeof(o));
    o.endpoint = endpoint;
    o.region = cfg->aws_region;
    o.service = "ec2";
    o.version = EC2_VERSION;
    o.timeout_ms = cfg->http_timeout_ms;
    o.max_attempts = 4;
    o.deadline_ms = deadline;
    r = aws_client_init(&e->client, &o, base);
    e->client_ready = r >= 0;
    return r;
}

static void
ec2_close(struct ec2 *e)
{
    if (e->client_ready)
        aws_client_destroy(&e->client);
    aws_imds_reset(&e->imds);
    aws_http_destroy(&e->h);
}

/* One tag's value: IMDS instance tags, else DescribeTags. */
static int
tag_value(struct ec2 *e, const char *tag, char *ret, size_t size)
{
    const char *params[] = { "Filter.1.Name", "resource-id",
                             "Filter.1.Value.1", e->instance_id,
                             "Filter.2.Name", "key", "Filter.2.Value.1",
                             tag, NULL };
    struct aws_http_response resp;
    char path[256], err[512], *body = NULL;
    size_t blen = 0;
    int r;

    snprintf(path, sizeof(path), "/latest/meta-data/tags/instance/%s", tag);
    if (aws_imds_get(&e->imds, &e->h, path, time(NULL), &body, &blen) == 0 &&
        blen < size) {
        memcpy(ret, body, blen);
        ret[blen] = '\0';
        free(body);
        return 0;
    }
    free(body);
    r = aws_client_call(&e->client, &e->h, "DescribeTags", params, &resp,
                        err, sizeof(err), NULL, 0);
    if (r < 0) {
        iam_log(LOG_ERR, "tags: %s", err);
        return r;
    }
    r = aws_ec2_tags_value(resp.body, resp.body_len, tag, ret, size);
    aws_http_response_free(&resp);
    if (r == -EPROTO)
        iam_log(LOG_ERR, "tags: DescribeTags: unexpected response");
    return r;
}

int
tags_apply(struct iam_config *eff, const struct aws_creds *base,
           int64_t deadline_ms)
{
    char endpoint[256], value[AWS_EC2_TAG_VALUE_MAX + 1];
    struct ec2 e;
    bool all;
    int r;

    if (!eff->iam_authorized_groups_tag && !eff->sudoers_groups_tag)
        return 0;
    memset(&e, 0, sizeof(e));
    r = ec2_open(&e, eff, base, deadline_ms, endpoint, sizeof(endpoint));
    if (r >= 0 && eff->iam_authorized_groups_tag) {
        r = tag_value(&e, eff->iam_authorized_groups_tag, value,
                      sizeof(value));
        if (r == -ESRCH || (r == 0 && !value[0])) {
            iam_log(LOG_ERR, "tag %s is missing or empty on %s: refusing "
                    "to guess who may log in", eff->iam_authorized_groups_tag,
                    e.instance_id);
            r = -ENOENT;
        }
        if (r == 0)
            r = split_list(eff->iam_authorized_groups_tag, value,
                           &eff->iam_authorized_groups, &all);
        if (r == 0 && all)
            r = -EINVAL;
    }
    if (r >= 0 && eff->sudoers_groups_tag) {
        r = tag_value(&e, eff->sudoers_groups_tag, value, sizeof(value));
        if (r == -ESRCH) {
            value[0] = '\0';
            r = 0;
        }
        if (r == 0)
            r = split_list(eff->sudoers_groups_tag, value,
                           &eff->sudoers_groups, &eff->sudoers_all);
    }
    ec2_close(&e);
    return r;
}

static void
list_free(struct iam_strlist *l)
{
    size_t i;

    for (i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    memset(l, 0, sizeof(*l));
}

void
tags_free(struct iam_config *eff, const struct iam_config *orig)
{
    if (eff->iam_authorized_groups.v != orig->iam_authorized_groups.v)
        list_free(&eff->iam_authorized_groups);
    if (eff->sudoers_groups.v != orig->sudoers_groups.v)
        list_free(&eff->sudoers_groups);
}
