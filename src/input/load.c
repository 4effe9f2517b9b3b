/* load.c: the reading pipeline. One reader (the calling thread) cuts inputs into chunks;
 * with threads > 1, workers take chunks from a bounded queue and fold them into their
 * own profiles, merged at the end. Since a perf script chunk always ends at a blank line
 * (end of a sample), and folded lines are independent, the result does not depend on
 * how chunks were shared out. DTrace input and --srcline are read on one thread. */
#include "load.h"

#include <pthread.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "../symbol/inline.h"
#include "chunk.h"
#include "cpuprofile.h"
#include "dtrace.h"
#include "folded.h"
#include "perf_data.h"
#include "pprof.h"
#include "source.h"
#include "speedscope.h"

/* What one thread folds into. */
struct fold_state {
	fk_profile *profile;
	fk_diag diag;
	const fk_load_options *options;
	fk_perf_parser *perf;
	fk_folded_parser *folded;
	fk_dtrace_parser *dtrace;
	fk_inliner *inliner;
};

static void fold_state_init(struct fold_state *fs, const fk_load_options *options,
			    fk_profile *profile)
{
	memset(fs, 0, sizeof(*fs));
	fs->profile = profile;
	fs->options = options;
	fk_diag_init(&fs->diag);
}

static void fold_state_free(struct fold_state *fs)
{
	fk_perf_parser_free(fs->perf);
	fk_folded_parser_free(fs->folded);
	fk_dtrace_parser_free(fs->dtrace);
	fk_inliner_free(fs->inliner);
	fk_diag_free(&fs->diag);
}

static void fold_chunk(struct fold_state *fs, fk_format format, const fk_chunk *c,
		       const char *default_event)
{
	switch (format) {
	case FK_FORMAT_PERF:
		if (!fs->perf) {
			if (fs->options->perf.show_inline)
				fs->inliner = fk_inliner_new(fs->options->perf.show_context);
			fs->perf = fk_perf_parser_new(&fs->options->perf, fs->profile, &fs->diag,
						      fs->inliner);
		}
		if (default_event)
			fk_perf_parser_set_default_event(fs->perf, default_event, strlen(default_event));
		fk_perf_parse_chunk(fs->perf, c);
		break;
	case FK_FORMAT_FOLDED:
		if (!fs->folded) {
			fs->folded = fk_folded_parser_new(fs->profile, &fs->diag);
			fk_folded_parser_drop_trailing_empty(fs->folded,
							     fs->options->folded_drop_trailing_empty);
		}
		fk_folded_parse_chunk(fs->folded, c);
		break;
	case FK_FORMAT_DTRACE:
		if (!fs->dtrace)
			fs->dtrace = fk_dtrace_parser_new(fs->profile, &fs->diag);
		fk_dtrace_parse_chunk(fs->dtrace, c);
		break;
	default:
		break;
	}
}

/* ---- the work queue ---- */

struct job {
	fk_chunk chunk;
	fk_format format;
	bool stop;
};

struct queue {
	pthread_mutex_t lock;
	pthread_cond_t changed;
	struct job **ready; /* ring of jobs to parse */
	size_t head, count, cap;
	struct job **spare; /* parsed jobs whose buffers can be reused */
	size_t nspare;
	size_t total_jobs, max_jobs;
	char *default_event; /* set once by the reader, read by workers */
};

struct worker {
	pthread_t thread;
	struct queue *q;
	struct fold_state fs;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct queue *q = w->q;
	for (;;) {
		pthread_mutex_lock(&q->lock);
		while (q->count == 0)
			pthread_cond_wait(&q->changed, &q->lock);
		struct job *j = q->ready[q->head];
		q->head = (q->head + 1) % q->cap;
		q->count--;
		const char *event = q->default_event;
		pthread_cond_broadcast(&q->changed);
		pthread_mutex_unlock(&q->lock);
		if (j->stop) {
			free(j);
			return NULL;
		}
		fold_chunk(&w->fs, j->format, &j->chunk, event);
		pthread_mutex_lock(&q->lock);
		q->spare[q->nspare++] = j;
		pthread_cond_broadcast(&q->changed);
		pthread_mutex_unlock(&q->lock);
	}
}

/* A job with a free buffer: a spare one, a new one, or the next to come back. */
static struct job *queue_get_free(struct queue *q)
{
	pthread_mutex_lock(&q->lock);
	while (q->nspare == 0 && q->total_jobs >= q->max_jobs)
		pthread_cond_wait(&q->changed, &q->lock);
	struct job *j;
	if (q->nspare) {
		j = q->spare[--q->nspare];
	} else {
		j = fk_xcalloc(1, sizeof(*j));
		q->total_jobs++;
	}
	pthread_mutex_unlock(&q->lock);
	return j;
}

static void queue_push(struct queue *q, struct job *j)
{
	pthread_mutex_lock(&q->lock);
	while (q->count == q->cap)
		pthread_cond_wait(&q->changed, &q->lock);
	q->ready[(q->head + q->count) % q->cap] = j;
	q->count++;
	pthread_cond_broadcast(&q->changed);
	pthread_mutex_unlock(&q->lock);
}

/* ---- reading ---- */

struct loader {
	const fk_load_options *options;
	fk_load_stats *stats;
	struct fold_state main;   /* the calling thread's own parsers */
	struct queue q;
	struct worker *workers;
	unsigned nworkers;
	char *default_event;      /* found by the reader before chunks go to workers */
	bool event_searched;
};

static void note_format(fk_load_stats *stats, fk_format f)
{
	for (size_t i = 0; i < FK_ARRAY_LEN(stats->formats); i++) {
		if (stats->formats[i] == f)
			return;
		if (stats->formats[i] == FK_FORMAT_AUTO) {
			stats->formats[i] = f;
			return;
		}
	}
}

static bool parallel_format(const struct loader *ld, fk_format f)
{
	if (ld->nworkers == 0)
		return false;
	if (f == FK_FORMAT_FOLDED)
		return true;
	return f == FK_FORMAT_PERF && !ld->options->perf.srcline;
}

/* The reader of a format read whole. */
static fk_whole_reader whole_reader(fk_format f)
{
	switch (f) {
	case FK_FORMAT_PERF_DATA:
		return fk_perf_data_read;
	case FK_FORMAT_PPROF:
		return fk_pprof_read;
	case FK_FORMAT_SPEEDSCOPE:
		return fk_speedscope_read;
	case FK_FORMAT_CPUPROFILE:
		return fk_cpuprofile_read;
	default:
		return NULL;
	}
}

/* Reads up to cap bytes (fewer only at the end). Returns the count or -1. */
static ssize_t read_full(fk_source *src, unsigned char *buf, size_t cap, fk_error *err)
{
	size_t got = 0;
	while (got < cap) {
		ssize_t n = fk_source_read(src, buf + got, cap - got, err);
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/* Reads the rest of src after the len bytes already in *buf, and gives the whole input
 * to the format's reader, on the calling thread. */
static int load_whole(struct loader *ld, fk_source *src, uint32_t file, fk_format format,
		      unsigned char **buf, size_t len, size_t cap, fk_error *err)
{
	/* a big plain file is mapped rather than copied (perf.data files run to gigabytes) */
	struct stat st;
	void *mapped = MAP_FAILED;
	if (!src->gzip && len == cap && fstat(src->fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    (uint64_t)st.st_size > len && (uint64_t)st.st_size < SIZE_MAX / 2)
		mapped = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, src->fd, 0);
	if (mapped != MAP_FAILED)
		len = (size_t)st.st_size;
	for (; mapped == MAP_FAILED;) {
		if (len == cap)
			fk_grow((void **)buf, 1, &cap, cap * 2);
		ssize_t n = read_full(src, *buf + len, cap - len, err);
		if (n < 0)
			return -1;
		len += (size_t)n;
		if (len < cap)
			break;
	}
	ld->stats->bytes += len;
	fk_whole_input in = {.name = src->name, .file = file,
			     .data = mapped != MAP_FAILED ? mapped : *buf, .len = len};
	/* Straight into the profile: on an error the whole load fails and the caller drops
	 * it. The first input's metadata stays the profile's. */
	fk_profile_meta before = *fk_profile_get_meta(ld->main.profile);
	int rc = whole_reader(format)(&in, ld->options, ld->main.profile, &ld->main.diag,
				      ld->stats, err);
	if (before.sample_type[0])
		fk_profile_set_meta(ld->main.profile, &before);
	if (mapped != MAP_FAILED)
		munmap(mapped, len);
	return rc;
}

static int load_one(struct loader *ld, const char *path, uint32_t file, fk_error *err)
{
	fk_source src;
	if (fk_source_open(&src, path, err) < 0)
		return -1;
	const fk_load_options *o = ld->options;
	size_t target = o->chunk_size ? o->chunk_size : (1 << 20);
	fk_chunk first = {0};
	fk_chunk_reader rd;
	bool reader_open = false;
	fk_format format = o->format;
	int rc = -1;
	/* the first bytes tell the format */
	size_t head_cap = 64 * 1024;
	unsigned char *head = fk_xmalloc(head_cap);
	ssize_t head_len = read_full(&src, head, head_cap, err);
	if (head_len < 0)
		goto out;
	if (format == FK_FORMAT_AUTO) {
		format = fk_detect_input_format(head, (size_t)head_len);
		if (o->text_is_folded && !fk_format_is_whole(format))
			format = FK_FORMAT_FOLDED;
		if (format == FK_FORMAT_UNKNOWN) {
			fk_error_set(err,
				     "%s: not a known profile format (perf script, dtrace, folded "
				     "stacks, perf.data, pprof, speedscope or .cpuprofile); choose "
				     "one with --format",
				     src.name);
			goto out;
		}
	}
	note_format(ld->stats, format);
	if (fk_format_is_whole(format)) {
		rc = load_whole(ld, &src, file, format, &head, (size_t)head_len, head_cap, err);
		goto out;
	}
	/* text: the chunk reader starts with the bytes already read */
	fk_chunk_reader_init(&rd, &src, file, FK_SPLIT_LINES, 64 * 1024, &ld->main.diag);
	reader_open = true;
	fk_chunk_reader_unread(&rd, &(fk_chunk){.data = (char *)head, .len = (size_t)head_len,
						 .first_line = 1});
	/* perf script chunks end at blank lines (sample ends) so they parse independently */
	rd.split = format == FK_FORMAT_PERF ? FK_SPLIT_BLANK_LINES : FK_SPLIT_LINES;
	rd.target = target;
	rc = fk_chunk_reader_next(&rd, &first, err);
	if (rc < 0)
		goto out;
	bool parallel = parallel_format(ld, format);
	/* Chunks are always read into `first`; a parallel hand-off swaps its buffer with a
	 * free job's, so no chunk is copied. */
	for (;;) {
		ld->stats->bytes += first.len;
		if (format == FK_FORMAT_PERF && !ld->event_searched &&
		    !(o->perf.event_filter && o->perf.event_filter[0])) {
			const char *ev;
			size_t ev_len;
			if (fk_perf_first_event(first.data, first.len, &ev, &ev_len)) {
				ld->default_event = fk_xstrndup(ev, ev_len);
				ld->event_searched = true;
				if (ld->nworkers) {
					pthread_mutex_lock(&ld->q.lock);
					ld->q.default_event = ld->default_event;
					pthread_mutex_unlock(&ld->q.lock);
				}
			}
		}
		bool last = first.file_end;
		if (parallel) {
			struct job *j = queue_get_free(&ld->q);
			fk_chunk spare = j->chunk;
			j->chunk = first;
			first = spare;
			j->format = format;
			j->stop = false;
			queue_push(&ld->q, j);
		} else {
			fold_chunk(&ld->main, format, &first, NULL);
		}
		if (last)
			break;
		rc = fk_chunk_reader_next(&rd, &first, err);
		if (rc < 0)
			goto out;
		if (rc == 0)
			break;
	}
	rc = 0;
out:
	fk_chunk_free(&first);
	if (reader_open)
		fk_chunk_reader_free(&rd);
	free(head);
	fk_source_close(&src);
	return rc;
}

static void collect_stats(fk_load_stats *stats, struct fold_state *fs)
{
	if (fs->perf) {
		stats->samples += fk_perf_parser_samples(fs->perf);
		stats->filtered += fk_perf_parser_filtered(fs->perf);
		stats->invalid += fk_perf_parser_unrecognized(fs->perf);
		bool defaulted;
		const char *ev = fk_perf_parser_event(fs->perf, &defaulted);
		if (ev[0] && !stats->event[0]) {
			snprintf(stats->event, sizeof(stats->event), "%s", ev);
			stats->event_defaulted = defaulted;
		}
	}
	if (fs->folded) {
		stats->invalid += fk_folded_parser_invalid(fs->folded);
		stats->blank += fk_folded_parser_blank(fs->folded);
	}
}

int fk_load_files(const char *const *paths, size_t npaths, const fk_load_options *options,
		  fk_profile *profile, fk_diag *diag, fk_load_stats *stats, fk_error *err)
{
	struct loader ld;
	memset(&ld, 0, sizeof(ld));
	memset(stats, 0, sizeof(*stats));
	ld.options = options;
	ld.stats = stats;
	fold_state_init(&ld.main, options, profile);
	if (options->keep_order)
		fk_profile_keep_order(profile);
	if (options->threads > 1 && !options->keep_order) {
		ld.nworkers = options->threads;
		pthread_mutex_init(&ld.q.lock, NULL);
		pthread_cond_init(&ld.q.changed, NULL);
		ld.q.cap = ld.nworkers * 2 + 2;
		ld.q.ready = fk_xcalloc(ld.q.cap, sizeof(struct job *));
		ld.q.max_jobs = ld.nworkers * 2 + 2;
		ld.q.spare = fk_xcalloc(ld.q.max_jobs, sizeof(struct job *));
		ld.workers = fk_xcalloc(ld.nworkers, sizeof(struct worker));
		for (unsigned i = 0; i < ld.nworkers; i++) {
			ld.workers[i].q = &ld.q;
			fold_state_init(&ld.workers[i].fs, options, fk_profile_new());
			if (pthread_create(&ld.workers[i].thread, NULL, worker_main, &ld.workers[i]) != 0) {
				fprintf(stderr, "flamekit: cannot start a thread\n");
				abort();
			}
		}
	}
	int rc = 0;
	for (size_t i = 0; i < npaths && rc == 0; i++)
		rc = load_one(&ld, paths[i], (uint32_t)i, err);
	if (ld.nworkers) {
		for (unsigned i = 0; i < ld.nworkers; i++) {
			struct job *stop = fk_xcalloc(1, sizeof(*stop));
			stop->stop = true;
			queue_push(&ld.q, stop);
		}
		for (unsigned i = 0; i < ld.nworkers; i++) {
			struct worker *w = &ld.workers[i];
			pthread_join(w->thread, NULL);
			fk_profile_merge(profile, w->fs.profile);
			fk_diag_merge(&ld.main.diag, &w->fs.diag);
			collect_stats(stats, &w->fs);
			fk_profile_free(w->fs.profile);
			fold_state_free(&w->fs);
		}
		for (size_t i = 0; i < ld.q.nspare; i++) {
			fk_chunk_free(&ld.q.spare[i]->chunk);
			free(ld.q.spare[i]);
		}
		free(ld.q.spare);
		free(ld.q.ready);
		free(ld.workers);
		pthread_mutex_destroy(&ld.q.lock);
		pthread_cond_destroy(&ld.q.changed);
	}
	collect_stats(stats, &ld.main);
	fk_diag_merge(diag, &ld.main.diag);
	fold_state_free(&ld.main);
	free(ld.default_event);
	return rc;
}
