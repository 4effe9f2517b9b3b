/* options.h: command-line option parsing shared by every subcommand, compatible with
 * what users of the Perl scripts type (Getopt::Long): --name, --name=value,
 * --name value, unique prefixes of long names, a single dash for long names (-pid),
 * short options (-j 2, -j2) and bundles of short flags (-ns, as Getopt::Std), operands
 * anywhere, and "--" to end options. */
#ifndef FK_OPTIONS_H
#define FK_OPTIONS_H

#include "common.h"

typedef struct fk_option {
	const char *name;  /* long name, or NULL */
	char short_name;   /* or 0 */
	bool has_arg;      /* false with an arg_name: the value is optional, only as --name=VALUE */
	int id;            /* returned for this option */
	const char *arg_name;
	const char *help;  /* NULL: not listed in help */
} fk_option;

typedef struct fk_option_parser {
	const fk_option *options;
	size_t noptions;
	int argc;
	char **argv;
	int index;         /* next argv element */
	bool only_operands;
	const char *arg;   /* the value of the option just returned */
	const char *operand;
	const char *bundle; /* rest of a bundle of short flags ("-ns") */
} fk_option_parser;

enum { FK_OPT_END = -1, FK_OPT_OPERAND = -2, FK_OPT_ERROR = -3 };

void fk_options_init(fk_option_parser *op, const fk_option *options, size_t noptions, int argc,
		     char **argv);
/* Returns an option id (op->arg holds its value), FK_OPT_OPERAND (op->operand),
 * FK_OPT_END, or FK_OPT_ERROR with err set. */
int fk_options_next(fk_option_parser *op, fk_error *err);
/* Prints the option table as help text. */
void fk_options_print(FILE *out, const fk_option *options, size_t noptions);

/* Parses a whole number in [min, max]. */
int fk_parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out);

#endif
