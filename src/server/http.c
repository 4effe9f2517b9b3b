/* http.c: the HTTP server under `flamekit serve` (http.h), on libmicrohttpd. */
#include "http.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct fk_http_server {
	struct MHD_Daemon *daemon;
	fk_http_handler handler;
	void *ctx;
	size_t max_body;
	uint16_t port;
};

/* One request's state between the calls libmicrohttpd makes while its body arrives. */
struct request_state {
	unsigned char *body;
	size_t len, cap;
	bool too_large;
};

const char *fk_http_query(const fk_http_request *req, const char *key)
{
	return MHD_lookup_connection_value(req->connection, MHD_GET_ARGUMENT_KIND, key);
}

const char *fk_http_header(const fk_http_request *req, const char *name)
{
	return MHD_lookup_connection_value(req->connection, MHD_HEADER_KIND, name);
}

void fk_http_reply_text(fk_http_response *resp, int status, const char *fmt, ...)
{
	resp->status = status;
	resp->content_type = "text/plain; charset=utf-8";
	rewind(resp->body);
	va_list ap;
	va_start(ap, fmt);
	vfprintf(resp->body, fmt, ap);
	va_end(ap);
	fputc('\n', resp->body);
	fflush(resp->body);
}

/* A query parameter whose decoded value holds a NUL byte (%00) would be cut short. */
static enum MHD_Result find_nul_argument(void *cls, enum MHD_ValueKind kind, const char *key,
					 size_t key_size, const char *value, size_t value_size)
{
	(void)kind;
	bool *bad = cls;
	if (strlen(key) != key_size || (value && strlen(value) != value_size)) {
		*bad = true;
		return MHD_NO;
	}
	return MHD_YES;
}

static enum MHD_Result send_reply(struct MHD_Connection *connection, int status,
				  const char *content_type, char *data, size_t len,
				  const char *extra_header, const char *extra_value)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(data);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	if (extra_header && extra_value)
		MHD_add_response_header(r, extra_header, extra_value);
	enum MHD_Result ret = MHD_queue_response(connection, (unsigned)status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result reply_message(struct MHD_Connection *connection, int status,
				     const char *message)
{
	char *data = fk_xstrdup(message);
	return send_reply(connection, status, "text/plain; charset=utf-8", data, strlen(data),
			  NULL, NULL);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *connection, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	(void)version;
	fk_http_server *s = cls;
	struct request_state *st = *con_cls;
	if (!st) {
		/* First call: headers only. Refuse a declared body over the limit now. */
		st = fk_xcalloc(1, sizeof *st);
		*con_cls = st;
		const char *length = MHD_lookup_connection_value(connection, MHD_HEADER_KIND,
								 MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (length) {
			char *end;
			unsigned long long n = strtoull(length, &end, 10);
			if (*end == '\0' && n > s->max_body)
				st->too_large = true;
		}
		return MHD_YES;
	}
	if (*upload_data_size) {
		size_t n = *upload_data_size;
		*upload_data_size = 0;
		if (st->too_large || n > s->max_body - st->len) {
			st->too_large = true;
			return MHD_YES; /* the rest is read and dropped; 413 at the end */
		}
		fk_grow((void **)&st->body, 1, &st->cap, st->len + n + 1);
		memcpy(st->body + st->len, upload_data, n);
		st->len += n;
		return MHD_YES;
	}
	if (st->too_large) {
		char msg[96];
		snprintf(msg, sizeof msg, "request body larger than the limit of %zu bytes\n",
			 s->max_body);
		return reply_message(connection, 413, msg);
	}
	bool bad = false;
	MHD_get_connection_values_n(connection, MHD_GET_ARGUMENT_KIND, find_nul_argument, &bad);
	if (bad)
		return reply_message(connection, 400, "a query parameter holds a NUL byte\n");

	if (!st->body)
		st->body = fk_xcalloc(1, 1);
	st->body[st->len] = '\0';
	fk_http_request req = {
		.method = method,
		.path = url,
		.connection = connection,
		.body = st->body,
		.body_len = st->len,
	};
	char *data = NULL;
	size_t len = 0;
	fk_http_response resp = {.status = 200, .content_type = "text/plain; charset=utf-8"};
	resp.body = open_memstream(&data, &len);
	if (!resp.body)
		return reply_message(connection, 500, "out of memory\n");
	s->handler(s->ctx, &req, &resp);
	if (fclose(resp.body) != 0) {
		free(data);
		return reply_message(connection, 500, "out of memory\n");
	}
	return send_reply(connection, resp.status, resp.content_type, data, len,
			  resp.extra_header, resp.extra_value);
}

static void on_completed(void *cls, struct MHD_Connection *connection, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)connection;
	(void)toe;
	struct request_state *st = *con_cls;
	if (st) {
		free(st->body);
		free(st);
		*con_cls = NULL;
	}
}

/* "HOST:PORT", "[V6]:PORT" or ":PORT" (all IPv4 interfaces). */
static int parse_listen(const char *listen, struct sockaddr_storage *addr, bool *ipv6,
			fk_error *err)
{
	memset(addr, 0, sizeof *addr);
	const char *colon = strrchr(listen, ':');
	if (!colon)
		return fk_error_set(err, "--listen %s: expected HOST:PORT", listen);
	char *end;
	long port = strtol(colon + 1, &end, 10);
	if (colon[1] == '\0' || *end != '\0' || port < 0 || port > 65535)
		return fk_error_set(err, "--listen %s: bad port", listen);
	char host[64];
	size_t hlen = (size_t)(colon - listen);
	if (hlen >= sizeof host)
		return fk_error_set(err, "--listen %s: host too long", listen);
	memcpy(host, listen, hlen);
	host[hlen] = '\0';
	if (host[0] == '[') {
		size_t l = strlen(host);
		if (l < 2 || host[l - 1] != ']')
			return fk_error_set(err, "--listen %s: bad IPv6 address", listen);
		host[l - 1] = '\0';
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)addr;
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, host + 1, &a6->sin6_addr) != 1)
			return fk_error_set(err, "--listen %s: bad IPv6 address", listen);
		*ipv6 = true;
		return 0;
	}
	struct sockaddr_in *a4 = (struct sockaddr_in *)addr;
	a4->sin_family = AF_INET;
	a4->sin_port = htons((uint16_t)port);
	if (host[0] == '\0' || strcmp(host, "0.0.0.0") == 0)
		a4->sin_addr.s_addr = htonl(INADDR_ANY);
	else if (strcmp(host, "localhost") == 0)
		a4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	else if (inet_pton(AF_INET, host, &a4->sin_addr) != 1)
		return fk_error_set(err, "--listen %s: not an IPv4 address (use [ADDR]:PORT for IPv6)",
				    listen);
	*ipv6 = false;
	return 0;
}

fk_http_server *fk_http_start(const fk_http_options *o, fk_http_handler handler, void *ctx,
			      fk_error *err)
{
	struct sockaddr_storage addr;
	bool ipv6 = false;
	if (parse_listen(o->listen, &addr, &ipv6, err) < 0)
		return NULL;
	fk_http_server *s = fk_xcalloc(1, sizeof *s);
	s->handler = handler;
	s->ctx = ctx;
	s->max_body = o->max_body;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
			 MHD_USE_ITC | MHD_USE_POLL;
	if (ipv6)
		flags |= MHD_USE_IPv6;
	s->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s,
				     MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
				     MHD_OPTION_CONNECTION_LIMIT, o->max_connections ? o->max_connections : 256,
				     MHD_OPTION_CONNECTION_TIMEOUT, o->timeout_sec ? o->timeout_sec : 60,
				     MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
				     MHD_OPTION_LISTENING_ADDRESS_REUSE, 1,
				     MHD_OPTION_END);
	if (!s->daemon) {
		free(s);
		fk_error_set(err, "cannot listen on %s (address in use or not available)", o->listen);
		return NULL;
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
	s->port = info ? info->port : 0;
	return s;
}

uint16_t fk_http_port(const fk_http_server *s)
{
	return s->port;
}

void fk_http_stop(fk_http_server *s)
{
	if (!s)
		return;
	/* Stop accepting, give the requests under way up to 10 s to finish, then close. */
	MHD_quiesce_daemon(s->daemon);
	for (int i = 0; i < 1000; i++) {
		const union MHD_DaemonInfo *info =
			MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
		if (!info || info->num_connections == 0)
			break;
		struct timespec ts = {0, 10 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	MHD_stop_daemon(s->daemon);
	free(s);
}
