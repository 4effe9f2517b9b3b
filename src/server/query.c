/* query.c: selecting series, merging their windows, timelines and groups (query.h). */
#include "query.h"

#include <stdlib.h>
#include <string.h>

int fk_query_select(fk_store *s, const fk_series_query *q, fk_query_selection *sel,
		    fk_error *err)
{
	memset(sel, 0, sizeof *sel);
	if (fk_store_series(s, &sel->all, err) < 0)
		return -1;
	sel->ids = fk_xcalloc(sel->all.count ? sel->all.count : 1, sizeof *sel->ids);
	for (size_t i = 0; i < sel->all.count; i++) {
		const fk_series_info *info = &sel->all.items[i];
		if (!fk_series_query_match(q, &info->key))
			continue;
		if (!sel->first)
			sel->first = info;
		sel->ids[sel->count++] = info->id;
	}
	return 0;
}

void fk_query_selection_free(fk_query_selection *sel)
{
	fk_series_list_free(&sel->all);
	free(sel->ids);
	memset(sel, 0, sizeof *sel);
}

/* pprof's unit for the units a series was ingested in. */
static const char *pprof_unit(const char *units)
{
	if (strcmp(units, "samples") == 0 || strcmp(units, "objects") == 0 ||
	    strcmp(units, "goroutines") == 0 || strcmp(units, "lock_samples") == 0 ||
	    units[0] == '\0')
		return "count";
	if (strcmp(units, "lock_nanoseconds") == 0)
		return "nanoseconds";
	return units;
}

int fk_query_profile(fk_store *s, const fk_query_selection *sel, int64_t from, int64_t until,
		     fk_profile **out, fk_error *err)
{
	fk_profile *p = fk_profile_new();
	if (sel->count && fk_store_merge(s, sel->ids, sel->count, from, until, p, err) < 0) {
		fk_profile_free(p);
		return -1;
	}
	fk_profile_meta meta;
	memset(&meta, 0, sizeof meta);
	if (sel->first) {
		snprintf(meta.sample_type, sizeof meta.sample_type, "%s", sel->first->key.type);
		snprintf(meta.unit, sizeof meta.unit, "%s", pprof_unit(sel->first->units));
		if (sel->first->sample_rate > 0 && strcmp(meta.unit, "count") == 0) {
			snprintf(meta.period_type, sizeof meta.period_type, "%s", sel->first->key.type);
			snprintf(meta.period_unit, sizeof meta.period_unit, "nanoseconds");
			meta.period = 1000000000 / sel->first->sample_rate;
		}
	}
	meta.time_ns = from * 1000000000;
	meta.duration_ns = (until - from) * 1000000000;
	fk_profile_set_meta(p, &meta);
	*out = p;
	return 0;
}

int64_t fk_query_timeline_step(int64_t from, int64_t until, int64_t window_sec, size_t max_points)
{
	if (window_sec <= 0)
		window_sec = 10;
	int64_t range = until > from ? until - from : window_sec;
	int64_t step = window_sec;
	while ((range + step - 1) / step > (int64_t)max_points)
		step += window_sec;
	return step;
}

static int compare_groups(const void *a, const void *b)
{
	return strcmp(((const fk_query_group *)a)->value, ((const fk_query_group *)b)->value);
}

void fk_query_group_by(const fk_query_selection *sel, const char *label, fk_query_group **groups,
		       size_t *ngroups)
{
	fk_query_group *g = NULL;
	size_t n = 0, cap = 0;
	for (size_t i = 0; i < sel->all.count; i++) {
		const fk_series_info *info = &sel->all.items[i];
		bool selected = false;
		for (size_t j = 0; j < sel->count && !selected; j++)
			selected = sel->ids[j] == info->id;
		if (!selected)
			continue;
		const char *value = fk_series_key_label(&info->key, label);
		if (!value)
			value = "";
		size_t k = 0;
		while (k < n && strcmp(g[k].value, value) != 0)
			k++;
		if (k == n) {
			fk_grow((void **)&g, sizeof *g, &cap, n + 1);
			g[n].value = fk_xstrdup(value);
			g[n].ids = fk_xcalloc(sel->count, sizeof *g[n].ids);
			g[n].count = 0;
			n++;
		}
		g[k].ids[g[k].count++] = info->id;
	}
	if (n)
		qsort(g, n, sizeof *g, compare_groups);
	*groups = g;
	*ngroups = n;
}

void fk_query_groups_free(fk_query_group *groups, size_t ngroups)
{
	for (size_t i = 0; i < ngroups; i++) {
		free(groups[i].value);
		free(groups[i].ids);
	}
	free(groups);
}
