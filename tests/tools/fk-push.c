/* fk-push: a load generator for `flamekit serve` (and anything speaking Pyroscope's
 * /ingest). N client threads POST folded profiles of --stacks distinct stacks each;
 * profile P (0 .. --profiles-1, dealt round robin: client C sends those with
 * P % clients == C) goes to series APP.cpu{client=C} with from = base + 10 P,
 * until = from + 10, and holds one stack no other profile has, "push;client_C;profile_P 1",
 * so a test can check later that each acknowledged profile was kept. Every 200 reply
 * adds a line "C P" to --acked (flushed at once: if the server is killed, the file says
 * exactly what it acknowledged). --client-offset K numbers the clients K, K+1, ... (client
 * C then sends the profiles P with P % clients == C - K), so that two runs against the same
 * app (two servers sharing a store) push distinct series and stacks. Nothing is retried; non-200 replies and connection
 * errors are counted. Prints the rate and totals; exits 0 when every request got 200,
 * else 1 (0 anyway with --tolerate-errors). Used by bench/serve.sh and the serve tests. */
#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct push_config {
	const char *url;   /* base URL, e.g. http://127.0.0.1:4040 */
	const char *app;
	const char *token; /* or NULL */
	long clients, profiles, stacks, client_offset;
	int64_t from_base;
	bool tolerate_errors;
	FILE *acked;       /* or NULL */
	pthread_mutex_t *acked_lock;
	const char *common; /* the stacks every profile shares */
	size_t common_len;
};

struct client {
	const struct push_config *cfg;
	long id;    /* client_offset + its index */
	long index; /* 0 .. clients-1 */
	pthread_t thread;
	long ok, rejected, failed; /* 200, other status, no reply */
	long first_status;          /* the first non-200 status, for the report */
	char first_error[256];
};

static size_t discard_body(char *data, size_t size, size_t n, void *ctx)
{
	(void)data;
	(void)ctx;
	return size * n;
}

static void *run_client(void *arg)
{
	struct client *c = arg;
	const struct push_config *cfg = c->cfg;
	CURL *curl = curl_easy_init();
	if (!curl) {
		snprintf(c->first_error, sizeof(c->first_error), "curl_easy_init failed");
		c->failed = cfg->profiles;
		return NULL;
	}
	struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: text/plain");
	if (cfg->token) {
		char auth[512];
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", cfg->token);
		headers = curl_slist_append(headers, auth);
	}
	char errbuf[CURL_ERROR_SIZE];
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard_body);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, 120L);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(curl, CURLOPT_POST, 1L);

	size_t cap = cfg->common_len + 128;
	char *body = malloc(cap);
	if (!body) {
		perror("fk-push");
		exit(2);
	}
	memcpy(body, cfg->common, cfg->common_len);
	char url[2048];
	for (long p = c->index; p < cfg->profiles; p += cfg->clients) {
		int64_t from = cfg->from_base + (int64_t)p * 10;
		int n = snprintf(body + cfg->common_len, cap - cfg->common_len,
				 "push;client_%ld;profile_%ld 1\n", c->id, p);
		/* name=APP.cpu{client=C}, percent-encoded */
		snprintf(url, sizeof(url),
			 "%s/ingest?name=%s.cpu%%7Bclient%%3D%ld%%7D&from=%" PRId64 "&until=%" PRId64
			 "&format=folded&sampleRate=100&spyName=fk-push",
			 cfg->url, cfg->app, c->id, from, from + 10);
		curl_easy_setopt(curl, CURLOPT_URL, url);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)(cfg->common_len + (size_t)n));
		errbuf[0] = '\0';
		CURLcode rc = curl_easy_perform(curl);
		long status = 0;
		if (rc == CURLE_OK)
			curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
		if (rc != CURLE_OK) {
			if (!c->failed && !c->rejected)
				snprintf(c->first_error, sizeof(c->first_error), "%s",
					 errbuf[0] ? errbuf : curl_easy_strerror(rc));
			c->failed++;
		} else if (status != 200) {
			if (!c->failed && !c->rejected)
				c->first_status = status;
			c->rejected++;
		} else {
			c->ok++;
			if (cfg->acked) {
				pthread_mutex_lock(cfg->acked_lock);
				fprintf(cfg->acked, "%ld %ld\n", c->id, p);
				fflush(cfg->acked);
				pthread_mutex_unlock(cfg->acked_lock);
			}
		}
	}
	free(body);
	curl_slist_free_all(headers);
	curl_easy_cleanup(curl);
	return NULL;
}

/* The stacks every profile shares: stacks-1 distinct ones of depth 4 to 9, counts 1..7. */
static char *common_stacks(long stacks, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *s = malloc(cap);
	for (long i = 0; s && i + 1 < stacks; i++) {
		if (cap - n < 256) {
			cap *= 2;
			s = realloc(s, cap);
			if (!s)
				break;
		}
		int depth = 4 + (int)(i % 6);
		n += (size_t)snprintf(s + n, cap - n, "main;run;svc_%ld", i % 13);
		for (int k = 3; k < depth - 1; k++)
			n += (size_t)snprintf(s + n, cap - n, ";fn_%ld_%d", (i / (k + 1)) % 50, k);
		n += (size_t)snprintf(s + n, cap - n, ";leaf_%ld %ld\n", i, 1 + i % 7);
	}
	if (!s) {
		perror("fk-push");
		exit(2);
	}
	*len = n;
	return s;
}

static long number_arg(const char *name, const char *v, long min)
{
	char *end;
	errno = 0;
	long n = strtol(v, &end, 10);
	if (errno || *end || end == v || n < min) {
		fprintf(stderr, "fk-push: bad %s: %s\n", name, v);
		exit(2);
	}
	return n;
}

static void usage(void)
{
	fprintf(stderr, "usage: fk-push --url http://HOST:PORT [--clients 16] [--profiles 400]\n"
			"       [--stacks 1000] [--app NAME] [--token T] [--acked FILE]\n"
			"       [--from-base SEC] [--client-offset K] [--tolerate-errors]\n"
			"--profiles is the total, dealt round robin to the clients.\n");
	exit(2);
}

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct push_config cfg = {.app = "fkpush", .clients = 16, .profiles = 400, .stacks = 1000,
				  .from_base = -1};
	const char *acked_path = NULL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--tolerate-errors") == 0) {
			cfg.tolerate_errors = true;
			continue;
		}
		if (i + 1 >= argc)
			usage();
		const char *v = argv[++i];
		if (strcmp(a, "--url") == 0)
			cfg.url = v;
		else if (strcmp(a, "--clients") == 0)
			cfg.clients = number_arg(a, v, 1);
		else if (strcmp(a, "--profiles") == 0)
			cfg.profiles = number_arg(a, v, 0);
		else if (strcmp(a, "--stacks") == 0)
			cfg.stacks = number_arg(a, v, 1);
		else if (strcmp(a, "--app") == 0)
			cfg.app = v;
		else if (strcmp(a, "--token") == 0)
			cfg.token = v;
		else if (strcmp(a, "--acked") == 0)
			acked_path = v;
		else if (strcmp(a, "--client-offset") == 0)
			cfg.client_offset = number_arg(a, v, 0);
		else if (strcmp(a, "--from-base") == 0)
			cfg.from_base = number_arg(a, v, 0);
		else
			usage();
	}
	if (!cfg.url || cfg.clients > 1024 || cfg.stacks > 10000000)
		usage();
	for (const char *s = cfg.app; *s; s++)
		if (!(*s == '_' || *s == '-' || *s == '.' || (*s >= '0' && *s <= '9') ||
		      (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z'))) {
			fprintf(stderr, "fk-push: --app takes letters, digits, '_', '-' and '.'\n");
			return 2;
		}
	if (cfg.from_base < 0) /* the profiles end about now, on a 10 s boundary */
		cfg.from_base = (int64_t)time(NULL) / 10 * 10 - (int64_t)cfg.profiles * 10;
	if (acked_path) {
		cfg.acked = fopen(acked_path, "w");
		if (!cfg.acked) {
			fprintf(stderr, "fk-push: %s: %s\n", acked_path, strerror(errno));
			return 2;
		}
	}
	pthread_mutex_t acked_lock = PTHREAD_MUTEX_INITIALIZER;
	cfg.acked_lock = &acked_lock;
	cfg.common = common_stacks(cfg.stacks, &cfg.common_len);
	if (curl_global_init(CURL_GLOBAL_ALL) != 0) {
		fprintf(stderr, "fk-push: curl_global_init failed\n");
		return 2;
	}
	struct client *clients = calloc((size_t)cfg.clients, sizeof(*clients));
	if (!clients) {
		perror("fk-push");
		return 2;
	}
	double start = now_seconds();
	for (long c = 0; c < cfg.clients; c++) {
		clients[c].cfg = &cfg;
		clients[c].index = c;
		clients[c].id = cfg.client_offset + c;
		if (pthread_create(&clients[c].thread, NULL, run_client, &clients[c]) != 0) {
			fprintf(stderr, "fk-push: cannot start a thread\n");
			return 2;
		}
	}
	long ok = 0, rejected = 0, failed = 0;
	for (long c = 0; c < cfg.clients; c++) {
		pthread_join(clients[c].thread, NULL);
		ok += clients[c].ok;
		rejected += clients[c].rejected;
		failed += clients[c].failed;
	}
	double elapsed = now_seconds() - start;
	for (long c = 0; c < cfg.clients; c++) {
		if (clients[c].first_status)
			fprintf(stderr, "fk-push: client %ld: first refusal: HTTP %ld\n", clients[c].id,
				clients[c].first_status);
		else if (clients[c].first_error[0])
			fprintf(stderr, "fk-push: client %ld: first error: %s\n", clients[c].id,
				clients[c].first_error);
	}
	printf("fk-push: %ld profiles (%ld stacks each) by %ld clients in %.3f s: %.1f profiles/s\n",
	       cfg.profiles, cfg.stacks, cfg.clients, elapsed,
	       elapsed > 0 ? (double)ok / elapsed : 0.0);
	printf("fk-push: ok %ld, refused (non-200) %ld, connection errors %ld\n", ok, rejected, failed);
	fflush(stdout);
	if (cfg.acked && fclose(cfg.acked) != 0) {
		fprintf(stderr, "fk-push: %s: %s\n", acked_path, strerror(errno));
		return 2;
	}
	free(clients);
	free((char *)cfg.common);
	curl_global_cleanup();
	return ok == cfg.profiles || cfg.tolerate_errors ? 0 : 1;
}
