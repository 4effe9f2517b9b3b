/* fuzz_query.c: libFuzzer target for series names, queries and API times
 * (src/server/series.c). The input is cut at its first two '\n' into a query, a series
 * name and a time/duration text. Any bytes must parse or fail with a message; a parsed
 * name's canonical form must parse back to itself; a query that parses is matched
 * against the name (and the name's own canonical form), and a query built from the
 * name's labels with "=" must match it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../src/server/series.h"

static char *copy(const uint8_t *data, size_t len)
{
	char *s = malloc(len + 1);
	if (!s)
		abort();
	memcpy(s, data, len);
	s[len] = '\0';
	return s;
}

/* The query "app.type{k="v",...}" selecting exactly key's labels with "=". */
static char *exact_query(const fk_series_key *key)
{
	size_t cap = strlen(key->app) + strlen(key->type) + 8;
	for (size_t i = 0; i < key->nlabels; i++)
		cap += strlen(key->labels[i].name) + 2 * strlen(key->labels[i].value) + 6;
	char *q = malloc(cap);
	if (!q)
		abort();
	size_t o = (size_t)snprintf(q, cap, "%s.%s{", key->app, key->type);
	for (size_t i = 0; i < key->nlabels; i++) {
		o += (size_t)snprintf(q + o, cap - o, "%s%s=\"", i ? "," : "", key->labels[i].name);
		o += (size_t)snprintf(q + o, cap - o, "%s\"", key->labels[i].value);
	}
	snprintf(q + o, cap - o, "}");
	return q;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl1 = memchr(data, '\n', size);
	size_t qlen = nl1 ? (size_t)(nl1 - data) : size;
	size_t rest = nl1 ? qlen + 1 : size;
	const uint8_t *nl2 = rest < size ? memchr(data + rest, '\n', size - rest) : NULL;
	size_t nlen = nl2 ? (size_t)(nl2 - (data + rest)) : size - rest;
	size_t trest = nl2 ? rest + nlen + 1 : size;

	/* exactly sized copies (no NUL: the parsers take lengths) */
	uint8_t *qbuf = malloc(qlen ? qlen : 1), *nbuf = malloc(nlen ? nlen : 1);
	if (!qbuf || !nbuf)
		abort();
	memcpy(qbuf, data, qlen);
	memcpy(nbuf, data + rest, nlen);

	fk_error err = {{0}};
	fk_series_query q;
	int qrc = fk_series_query_parse((const char *)qbuf, qlen, &q, &err);
	if (qrc != 0 && (!err.msg[0] || q.app || q.matchers))
		abort();

	fk_series_key key;
	err.msg[0] = '\0';
	int krc = fk_series_key_parse((const char *)nbuf, nlen, (data[0] & 1) ? "cpu" : NULL, &key,
				      &err);
	if (krc != 0 && (!err.msg[0] || key.app || key.labels))
		abort();
	if (krc == 0) {
		char *canon = fk_series_key_format(&key);
		fk_series_key again;
		if (fk_series_key_parse(canon, strlen(canon), *key.type ? "x" : NULL, &again,
					&err) != 0) {
			fprintf(stderr, "canonical '%s' does not parse: %s\n", canon, err.msg);
			abort();
		}
		char *canon2 = fk_series_key_format(&again);
		if (strcmp(canon, canon2) != 0) {
			fprintf(stderr, "canonical '%s' reads back as '%s'\n", canon, canon2);
			abort();
		}
		for (size_t i = 0; i < key.nlabels; i++)
			if (strcmp(fk_series_key_label(&key, key.labels[i].name),
				   key.labels[i].value) != 0 ||
			    (i && strcmp(key.labels[i - 1].name, key.labels[i].name) >= 0))
				abort();
		if (qrc == 0)
			(void)fk_series_query_match(&q, &key);
		if (*key.type) {
			/* an exact query over the key's labels matches it */
			char *eq = exact_query(&key);
			fk_series_query q2;
			if (fk_series_query_parse(eq, strlen(eq), &q2, &err) == 0) {
				if (!fk_series_query_match(&q2, &key)) {
					fprintf(stderr, "query '%s' does not match '%s'\n", eq, canon);
					abort();
				}
				fk_series_query_free(&q2);
			} else if (strlen(eq) <= 4096) {
				fprintf(stderr, "query '%s' does not parse: %s\n", eq, err.msg);
				abort();
			}
			free(eq);
		}
		free(canon);
		free(canon2);
		fk_series_key_free(&again);
		fk_series_key_free(&key);
	}
	if (qrc == 0)
		fk_series_query_free(&q);

	char *t = copy(data + trest, size - trest);
	int64_t out = -1;
	if (fk_parse_time(t, 1700000000, &out, &err) == 0) {
		if (out < 0 || out > INT64_MAX / 1000000000)
			abort();
	} else if (!err.msg[0]) {
		abort();
	}
	if (fk_parse_duration(t, &out, &err) == 0 && out <= 0)
		abort();
	free(t);
	free(qbuf);
	free(nbuf);
	return 0;
}
