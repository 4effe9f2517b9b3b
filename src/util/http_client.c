/* http_client.c: POST requests over libcurl (http_client.h), with connection reuse. */
#include "http_client.h"

#include <curl/curl.h>

struct fk_http_client {
	CURL *curl;
};

int fk_http_client_global_init(fk_error *err)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		return fk_error_set(err, "curl_global_init failed");
	return 0;
}

void fk_http_client_global_cleanup(void)
{
	curl_global_cleanup();
}

fk_http_client *fk_http_client_new(void)
{
	fk_http_client *c = fk_xcalloc(1, sizeof(*c));
	c->curl = curl_easy_init();
	if (!c->curl) {
		free(c);
		return NULL;
	}
	return c;
}

void fk_http_client_free(fk_http_client *c)
{
	if (!c)
		return;
	curl_easy_cleanup(c->curl);
	free(c);
}

struct reply_buf {
	char *data;
	size_t len, cap;
};

static size_t keep_reply_start(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct reply_buf *r = userdata;
	size_t n = size * nmemb;
	size_t room = r->cap - 1 - r->len;
	size_t take = n < room ? n : room;
	memcpy(r->data + r->len, ptr, take);
	r->len += take;
	r->data[r->len] = '\0';
	return n; /* the rest is read and dropped */
}

int fk_http_post(fk_http_client *c, const fk_http_post_request *req, fk_http_post_result *res,
		 fk_error *err)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	char content_type[128], auth[600];
	res->status = 0;
	res->reply[0] = '\0';
	struct reply_buf reply = {res->reply, 0, sizeof(res->reply)};

	snprintf(content_type, sizeof content_type, "Content-Type: %s",
		 req->content_type ? req->content_type : "text/plain");
	struct curl_slist *headers = curl_slist_append(NULL, content_type);
	headers = curl_slist_append(headers, "Expect:"); /* no 100-continue round trip */
	if (req->bearer_token) {
		snprintf(auth, sizeof auth, "Authorization: Bearer %s", req->bearer_token);
		headers = curl_slist_append(headers, auth);
	}
	CURL *h = c->curl;
	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, req->url);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(h, CURLOPT_POST, 1L);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body ? req->body : "");
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, keep_reply_start);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &reply);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, req->timeout_ms > 0 ? req->timeout_ms : 30000L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	CURLcode rc = curl_easy_perform(h);
	curl_slist_free_all(headers);
	if (rc != CURLE_OK)
		return fk_error_set(err, "%s: %s", req->url, errbuf[0] ? errbuf : curl_easy_strerror(rc));
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &res->status);
	return 0;
}

bool fk_http_status_retryable(long status)
{
	return status == 0 || status == 408 || status == 429 || status >= 500;
}
