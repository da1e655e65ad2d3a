#include "instance.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aws_imds.h"
#include "aws_http.h"
#include "iam_log.h"

int
instance_fetch(const struct iam_config *cfg, char ret[IAM_INSTANCE_ID_SIZE])
{
    struct aws_imds imds;
    struct aws_http h;
    char *body = NULL;
    size_t len = 0;
    int r;

    ret[0] = '\0';
    memset(&imds, 0, sizeof(imds));
    r = aws_http_init(&h);
    if (r < 0)
        return r;
    r = aws_imds_init(cfg->imds_endpoint, AWS_IMDS_DEFAULT_TIMEOUT_MS, &imds);
    if (r >= 0)
        r = aws_imds_get(&imds, &h, "/latest/meta-data/instance-id", time(NULL),
                         &body, &len);
    aws_imds_reset(&imds);
    aws_http_destroy(&h);
    if (r < 0) {
        iam_log(LOG_DEBUG,
                "no instance id from IMDS (not on EC2?): %s; "
                "the snapshot records none",
                strerrordesc_np(-r));
    } else if (!iam_instance_id_valid(body, len)) {
        iam_log(LOG_WARNING, "IMDS instance-id is not an instance id; the "
                             "snapshot records none");
        r = -EPROTO;
    } else {
        memcpy(ret, body, len);
        ret[len] = '\0';
    }
    free(body);
    return r;
}
