#include "explain.h"

#include <json-c/json.h>
#include <string.h>

/* "FILE:LINE" of @rule, or "default" when the file does not set it. */
static void
where(const struct explain *ex, const struct iam_config *cfg, const char *rule,
      char *buf, size_t len)
{
    size_t line = iam_config_line(cfg, rule);

    if (line)
        snprintf(buf, len, "%s:%zu", ex->config_path, line);
    else
        snprintf(buf, len, "default");
}

static void
print_text(const struct explain *ex, const struct iam_config *cfg, FILE *out)
{
    const struct explain_step *s;
    char at[1200];
    size_t i;

    fprintf(out, "%s: the user's facts from %s\n", ex->query,
            ex->from_iam ? "IAM, everyone else's too" : ex->where);
    for (i = 0; i < ex->n_steps; i++) {
        s = &ex->steps[i];
        fprintf(out, "  %-3s %-11s %s", s->ok ? "ok" : "NO", s->topic, s->text);
        if (s->rule) {
            where(ex, cfg, s->rule, at, sizeof(at));
            fprintf(out, "  [%s, %s]", s->rule, at);
        }
        fputc('\n', out);
    }
    fprintf(out, "%s %s log in here now (with at least one Active key)\n",
            ex->query, ex->can_log_in ? "can" : "cannot");
}

static void
put_str(json_object *o, const char *k, const char *v)
{
    json_object_object_add(o, k, v ? json_object_new_string(v) : NULL);
}

static json_object *
step_json(const struct explain *ex, const struct iam_config *cfg,
          const struct explain_step *s)
{
    json_object *o = json_object_new_object();
    char at[1200];

    put_str(o, "topic", s->topic);
    json_object_object_add(o, "ok", json_object_new_boolean(s->ok));
    put_str(o, "text", s->text);
    put_str(o, "rule", s->rule);
    if (s->rule) {
        where(ex, cfg, s->rule, at, sizeof(at));
        put_str(o, "where", at);
    }
    return o;
}

static void
print_json(const struct explain *ex, const struct iam_config *cfg, FILE *out)
{
    json_object *o = json_object_new_object();
    json_object *steps = json_object_new_array();
    size_t i;

    put_str(o, "name", ex->query);
    put_str(o, "facts", ex->facts);
    json_object_object_add(o, "found", json_object_new_boolean(ex->found));
    json_object_object_add(o, "in_snapshot",
                           json_object_new_boolean(ex->in_snapshot));
    json_object_object_add(o, "can_log_in",
                           json_object_new_boolean(ex->can_log_in));
    json_object_object_add(o, "next_sync_changes",
                           json_object_new_boolean(ex->will_change));
    json_object_object_add(o, "snapshot_created",
                           json_object_new_int64(ex->snapshot_created));
    for (i = 0; i < ex->n_steps; i++)
        json_object_array_add(steps, step_json(ex, cfg, &ex->steps[i]));
    json_object_object_add(o, "steps", steps);
    fprintf(out, "%s\n",
            json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
    json_object_put(o);
}

void
explain_print(const struct explain *ex, const struct iam_config *cfg, bool json,
              FILE *out)
{
    if (json)
        print_json(ex, cfg, out);
    else
        print_text(ex, cfg, out);
}
