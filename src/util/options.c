/* options.c: the option parser. */
#include "options.h"

#include <errno.h>

void fk_options_init(fk_option_parser *op, const fk_option *options, size_t noptions, int argc,
		     char **argv)
{
	memset(op, 0, sizeof(*op));
	op->options = options;
	op->noptions = noptions;
	op->argc = argc;
	op->argv = argv;
	op->index = 1;
}

static const fk_option *find_long(const fk_option_parser *op, const char *name, size_t len,
				  fk_error *err)
{
	const fk_option *found = NULL;
	size_t matches = 0;
	for (size_t i = 0; i < op->noptions; i++) {
		const fk_option *o = &op->options[i];
		if (!o->name || strncmp(o->name, name, len) != 0)
			continue;
		if (strlen(o->name) == len)
			return o; /* exact */
		if (!found || found->id != o->id)
			matches++;
		found = o;
	}
	if (matches == 1)
		return found;
	if (matches > 1)
		fk_error_set(err, "option --%.*s is ambiguous", (int)len, name);
	else
		fk_error_set(err, "unknown option --%.*s", (int)len, name);
	return NULL;
}

static const fk_option *find_short(const fk_option_parser *op, char c)
{
	for (size_t i = 0; i < op->noptions; i++)
		if (op->options[i].short_name == c)
			return &op->options[i];
	return NULL;
}

static int take_value(fk_option_parser *op, const fk_option *o, const char *attached,
		      const char *shown, fk_error *err)
{
	if (!o->has_arg) {
		/* a flag with an arg_name takes an optional attached value: --alloc=inuse */
		if (attached && !o->arg_name) {
			fk_error_set(err, "option %s takes no value", shown);
			return FK_OPT_ERROR;
		}
		op->arg = attached;
		return o->id;
	}
	if (attached) {
		op->arg = attached;
		return o->id;
	}
	if (op->index >= op->argc) {
		fk_error_set(err, "option %s needs a value", shown);
		return FK_OPT_ERROR;
	}
	op->arg = op->argv[op->index++];
	return o->id;
}

/* "-abc" where every letter is a short flag without a value */
static bool is_flag_bundle(const fk_option_parser *op, const char *letters)
{
	for (const char *c = letters; *c; c++) {
		const fk_option *s = find_short(op, *c);
		if (!s || s->has_arg)
			return false;
	}
	return true;
}

int fk_options_next(fk_option_parser *op, fk_error *err)
{
	if (op->bundle && *op->bundle) {
		const fk_option *s = find_short(op, *op->bundle++);
		op->arg = NULL;
		return s->id;
	}
	if (op->index >= op->argc)
		return FK_OPT_END;
	const char *a = op->argv[op->index++];
	if (op->only_operands || a[0] != '-' || a[1] == '\0') {
		op->operand = a;
		return FK_OPT_OPERAND;
	}
	if (strcmp(a, "--") == 0) {
		op->only_operands = true;
		return fk_options_next(op, err);
	}
	if (a[1] != '-' && a[2] != '\0') {
		/* -jN / -oFILE, or a long name with one dash (-pid) */
		const fk_option *s = find_short(op, a[1]);
		if (s && s->has_arg)
			return take_value(op, s, a + 2, a, err);
	}
	if (a[1] != '-' && a[2] != '\0' && is_flag_bundle(op, a + 1)) {
		fk_error ignored;
		if (!find_long(op, a + 1, strlen(a + 1), &ignored) || strlen(a + 1) <= 1) {
			op->bundle = a + 2;
			return find_short(op, a[1])->id;
		}
	}
	if (a[1] == '-' || a[2] != '\0') {
		const char *name = a + (a[1] == '-' ? 2 : 1);
		const char *eq = strchr(name, '=');
		size_t len = eq ? (size_t)(eq - name) : strlen(name);
		const fk_option *o = find_long(op, name, len, err);
		if (!o)
			return FK_OPT_ERROR;
		char shown[80];
		snprintf(shown, sizeof(shown), "--%s", o->name);
		return take_value(op, o, eq ? eq + 1 : NULL, shown, err);
	}
	const fk_option *s = find_short(op, a[1]);
	if (!s) {
		fk_error_set(err, "unknown option %s", a);
		return FK_OPT_ERROR;
	}
	return take_value(op, s, NULL, a, err);
}

void fk_options_print(FILE *out, const fk_option *options, size_t noptions)
{
	for (size_t i = 0; i < noptions; i++) {
		const fk_option *o = &options[i];
		if (!o->help)
			continue;
		char left[64];
		int n = 0;
		if (o->short_name && o->name)
			n = snprintf(left, sizeof(left), "-%c, --%s", o->short_name, o->name);
		else if (o->name)
			n = snprintf(left, sizeof(left), "    --%s", o->name);
		else
			n = snprintf(left, sizeof(left), "-%c", o->short_name);
		if (o->has_arg && n > 0 && (size_t)n < sizeof(left))
			snprintf(left + n, sizeof(left) - (size_t)n, " %s", o->arg_name ? o->arg_name : "ARG");
		else if (o->arg_name && n > 0 && (size_t)n < sizeof(left))
			snprintf(left + n, sizeof(left) - (size_t)n, "[=%s]", o->arg_name);
		fprintf(out, "  %-28s %s\n", left, o->help);
	}
}

int fk_parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	if (!s || !*s || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	char *end;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}
