/* inline.c: stackcollapse-perf.pl's --inline/--context expansion, done in-process.
 *
 * The Perl script runs `addr2line -a PC -e MODULE -i -f -s -C` for every new (pc, module)
 * and turns the output into "outer;...;inlined" frames. Here the addr2line part is
 * reproduced in-process: libdwfl opens the module and finds its separate debug info,
 * libdw reads the DIEs, libelf the sections and symbol tables, libiberty demangles. The
 * text addr2line would print is built, and the Perl post-processing (the "sym+0xoff"
 * fallback through the symbol table, the frame format, the cache keyed by pc and
 * module) is applied to it as the script does.
 *
 * What addr2line (GNU binutils 2.40, bfd's dwarf2.c and elf.c) does, and what is done
 * here the same way, so that the results are equal byte for byte:
 *  - the address must lie in an allocated section, else "??" and "??:0";
 *  - compilation units are tried in .debug_info order; the first whose line table or
 *    function table covers the address answers (only units whose line sequences or
 *    DW_AT_ranges cover it are looked at);
 *  - line tables are decoded as bfd decodes them (its own .debug_line reader, ported:
 *    sequences, rows at one address, trimming of overlapping sequences, file names),
 *    since libdw's merged row list answers differently at sequence ends;
 *  - the function is the subprogram, inlined_subroutine or entry_point whose address
 *    range containing the address is the smallest (bfd ignores DW_FORM_rnglistx
 *    ranges); an inlined one is followed out through its enclosing functions, each
 *    printed with the DW_AT_call_file/DW_AT_call_line of the inlined DIE;
 *  - names: DW_AT_linkage_name over DW_AT_name, through abstract_origin/specification;
 *    for a language with mangling and no linkage name, and where DWARF has no
 *    function, the nearest function symbol at or before the address in its section
 *    (bfd's elf_find_function) with the file name of the STT_FILE symbol before it;
 *  - line 0 prints as "?", an unknown file as "??", -s keeps only the base name.
 * A module that cannot be opened, is not ELF or has no DWARF at all gives "". */
#include "inline.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <libiberty/demangle.h>
#include <unistd.h>
#include <zlib.h>

#include "../util/hash.h"

#define NO_INDEX UINT32_MAX
/* bfd's find_abstract_instance gives up at this depth. */
#define MAX_ABSTRACT_DEPTH 100

/* ---- growable text ---------------------------------------------------------------- */

typedef struct text_buffer {
	char *data;
	size_t len, cap;
} text_buffer;

static void text_append(text_buffer *b, const char *s, size_t n)
{
	fk_grow((void **)&b->data, 1, &b->cap, b->len + n + 1);
	if (n)
		memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

static void text_append_str(text_buffer *b, const char *s)
{
	text_append(b, s, strlen(s));
}

/* ---- byte-string keyed map -------------------------------------------------------- */

typedef struct map_slot {
	uint64_t hash;
	char *key; /* NULL: empty slot */
	size_t key_len;
	void *value;
} map_slot;

typedef struct string_map {
	map_slot *slots;
	size_t mask, count;
} string_map;

static void map_init(string_map *map)
{
	map->mask = 63;
	map->count = 0;
	map->slots = fk_xcalloc(map->mask + 1, sizeof(*map->slots));
}

static map_slot *map_slot_for(const string_map *map, const char *key, size_t len, uint64_t hash)
{
	size_t i = hash & map->mask;
	for (;;) {
		map_slot *slot = &map->slots[i];
		if (!slot->key ||
		    (slot->hash == hash && slot->key_len == len && memcmp(slot->key, key, len) == 0))
			return slot;
		i = (i + 1) & map->mask;
	}
}

static void *map_get(const string_map *map, const char *key, size_t len)
{
	map_slot *slot = map_slot_for(map, key, len, fk_hash_bytes(key, len));
	return slot->key ? slot->value : NULL;
}

/* Takes ownership of key (allocated, key_len bytes); the key must not be present yet. */
static void map_put(string_map *map, char *key, size_t key_len, void *value)
{
	if ((map->count + 1) * 2 > map->mask) {
		map_slot *old = map->slots;
		size_t old_size = map->mask + 1;
		map->mask = old_size * 2 - 1;
		map->slots = fk_xcalloc(map->mask + 1, sizeof(*map->slots));
		for (size_t i = 0; i < old_size; i++)
			if (old[i].key)
				*map_slot_for(map, old[i].key, old[i].key_len, old[i].hash) = old[i];
		free(old);
	}
	uint64_t hash = fk_hash_bytes(key, key_len);
	map_slot *slot = map_slot_for(map, key, key_len, hash);
	slot->hash = hash;
	slot->key = key;
	slot->key_len = key_len;
	slot->value = value;
	map->count++;
}

/* ---- ELF sections and symbol tables ----------------------------------------------- */

typedef struct elf_section {
	uint64_t addr, size, flags;
	const char *name;
} elf_section;

typedef struct elf_symbol {
	const char *name;
	uint64_t value, size;
	uint32_t section; /* st_shndx, SHN_XINDEX resolved */
	unsigned char type, bind, visibility;
} elf_symbol;

typedef struct symbol_table {
	elf_symbol *symbols;
	size_t count;
} symbol_table;

/* Section headers of elf, indexed by section number (entry 0 is the null section). */
static elf_section *read_sections(Elf *elf, size_t *count)
{
	size_t shnum = 0, shstrndx = 0;
	*count = 0;
	if (elf_getshdrnum(elf, &shnum) != 0 || shnum == 0)
		return NULL;
	if (elf_getshdrstrndx(elf, &shstrndx) != 0)
		shstrndx = SHN_UNDEF;
	elf_section *sections = fk_xcalloc(shnum, sizeof(*sections));
	Elf_Scn *scn = NULL;
	while ((scn = elf_nextscn(elf, scn)) != NULL) {
		size_t index = elf_ndxscn(scn);
		GElf_Shdr shdr;
		if (index >= shnum || !gelf_getshdr(scn, &shdr))
			continue;
		sections[index].addr = shdr.sh_addr;
		sections[index].size = shdr.sh_size;
		sections[index].flags = shdr.sh_flags;
		const char *name = shstrndx != SHN_UNDEF ? elf_strptr(elf, shstrndx, shdr.sh_name) : NULL;
		sections[index].name = name ? name : "";
	}
	*count = shnum;
	return sections;
}

/* Reads the first section of type sh_type (SHT_SYMTAB or SHT_DYNSYM), without the null
 * symbol, in table order. Returns false when there is no such section. */
static bool read_symbol_table(Elf *elf, GElf_Word sh_type, symbol_table *out)
{
	out->symbols = NULL;
	out->count = 0;
	Elf_Scn *scn = NULL, *table = NULL;
	GElf_Shdr shdr, table_shdr;
	while ((scn = elf_nextscn(elf, scn)) != NULL) {
		if (gelf_getshdr(scn, &shdr) && shdr.sh_type == sh_type) {
			table = scn;
			table_shdr = shdr;
			break;
		}
	}
	if (!table)
		return false;
	Elf_Data *data = elf_getdata(table, NULL);
	size_t entry_size = gelf_fsize(elf, ELF_T_SYM, 1, EV_CURRENT);
	if (!data || !data->d_buf || entry_size == 0)
		return true;
	Elf_Data *extended_index = NULL;
	size_t table_index = elf_ndxscn(table);
	scn = NULL;
	while ((scn = elf_nextscn(elf, scn)) != NULL) {
		if (gelf_getshdr(scn, &shdr) && shdr.sh_type == SHT_SYMTAB_SHNDX &&
		    shdr.sh_link == table_index) {
			extended_index = elf_getdata(scn, NULL);
			break;
		}
	}
	size_t n = data->d_size / entry_size;
	if (n <= 1)
		return true;
	out->symbols = fk_xcalloc(n - 1, sizeof(*out->symbols));
	for (size_t i = 1; i < n; i++) {
		GElf_Sym sym;
		GElf_Word xndx = 0;
		if (!gelf_getsymshndx(data, extended_index, (int)i, &sym, &xndx))
			continue;
		elf_symbol *s = &out->symbols[out->count++];
		const char *name = elf_strptr(elf, table_shdr.sh_link, sym.st_name);
		s->name = name ? name : "";
		s->value = sym.st_value;
		s->size = sym.st_size;
		s->section = sym.st_shndx == SHN_XINDEX ? xndx : sym.st_shndx;
		s->type = GELF_ST_TYPE(sym.st_info);
		s->bind = GELF_ST_BIND(sym.st_info);
		s->visibility = GELF_ST_VISIBILITY(sym.st_other);
	}
	return true;
}

/* The symbols addr2line loads: .symtab when it has any, else .dynsym. */
static void read_module_symbols(Elf *elf, symbol_table *out)
{
	if (read_symbol_table(elf, SHT_SYMTAB, out) && out->count > 0)
		return;
	free(out->symbols);
	read_symbol_table(elf, SHT_DYNSYM, out);
}

typedef struct symbol_match {
	const char *name;
	const char *file; /* from the STT_FILE symbol, or NULL */
} symbol_match;

static bool is_function_type(unsigned char type)
{
	return type == STT_FUNC || type == STT_GNU_IFUNC;
}

/* bfd's elf_find_function: the symbol of section `section` that best fits `offset` (an
 * offset in that section, whose address is section_addr). Only symbols starting at or
 * before the offset count, the closest start wins, and its size is not checked. */
static bool find_function_symbol(const symbol_table *table, uint32_t section, uint64_t section_addr,
				 uint64_t offset, symbol_match *match)
{
	enum { NOTHING_SEEN, SYMBOL_SEEN, FILE_AFTER_SYMBOL_SEEN } state = NOTHING_SEEN;
	const elf_symbol *file = NULL, *best = NULL;
	uint64_t best_offset = 0, best_size = 0;
	const char *best_file = NULL;

	for (size_t i = 0; i < table->count; i++) {
		const elf_symbol *sym = &table->symbols[i];
		if (sym->type == STT_FILE) {
			file = sym;
			if (state == SYMBOL_SEEN)
				state = FILE_AFTER_SYMBOL_SEEN;
			continue;
		}
		if (state == NOTHING_SEEN)
			state = SYMBOL_SEEN;

		/* _bfd_elf_maybe_function_sym */
		if (sym->type == STT_SECTION || sym->type == STT_OBJECT || sym->type == STT_COMMON ||
		    sym->type == STT_TLS || sym->type == 8 /* STT_RELC */ ||
		    sym->type == 9 /* STT_SRELC */ || sym->section != section)
			continue;
		uint64_t size = sym->size;
		if (size == 0 && sym->bind == STB_LOCAL && sym->type == STT_NOTYPE &&
		    sym->visibility == STV_HIDDEN)
			continue;
		if (size == 0)
			size = 1;
		uint64_t code_offset = sym->value - section_addr;

		/* better_fit */
		bool better;
		if (code_offset > offset || code_offset < best_offset)
			better = false;
		else if (code_offset > best_offset)
			better = true;
		else if (best_offset + best_size <= offset)
			better = size > best_size;
		else if (code_offset + size <= offset)
			better = false;
		else if (is_function_type(best->type) != is_function_type(sym->type))
			better = is_function_type(sym->type);
		else if ((best->type == STT_NOTYPE) != (sym->type == STT_NOTYPE))
			better = best->type == STT_NOTYPE;
		else
			better = size < best_size;

		if (better) {
			best = sym;
			best_size = size;
			best_offset = code_offset;
			best_file = NULL;
			if (file && (sym->bind == STB_LOCAL || state != FILE_AFTER_SYMBOL_SEEN))
				best_file = file->name;
		} else if (code_offset > offset && code_offset > best_offset &&
			   code_offset < best_offset + best_size) {
			best_size = code_offset - best_offset;
		}
	}
	if (!best)
		return false;
	match->name = best->name;
	match->file = best_file;
	return true;
}

/* What `nm MODULE` followed by the Perl regex "^([0-9a-f]+) . \Qname\E$" finds: the first
 * defined, non-debugging symbol of that exact name. */
static bool find_symbol_address(const symbol_table *table, const char *name, size_t len,
				uint64_t *address)
{
	for (size_t i = 0; i < table->count; i++) {
		const elf_symbol *sym = &table->symbols[i];
		if (sym->type == STT_FILE || sym->type == STT_SECTION || sym->section == SHN_UNDEF)
			continue;
		if (strlen(sym->name) == len && memcmp(sym->name, name, len) == 0) {
			*address = sym->value;
			return true;
		}
	}
	return false;
}

/* ---- raw DWARF bytes ------------------------------------------------------------------ */

typedef struct section_bytes {
	const unsigned char *data;
	size_t size;
} section_bytes;

/* A section of the file that holds the DWARF. libdw has already decompressed it in
 * memory when it was compressed; an empty result when it is missing or still packed. */
static section_bytes dwarf_section(Elf *elf, const char *name, const char *gnu_zlib_name)
{
	section_bytes bytes = { NULL, 0 };
	size_t shstrndx;
	if (elf_getshdrstrndx(elf, &shstrndx) != 0)
		return bytes;
	Elf_Scn *scn = NULL;
	while ((scn = elf_nextscn(elf, scn)) != NULL) {
		GElf_Shdr shdr;
		if (!gelf_getshdr(scn, &shdr) || shdr.sh_type == SHT_NOBITS)
			continue;
		const char *scn_name = elf_strptr(elf, shstrndx, shdr.sh_name);
		if (!scn_name || (strcmp(scn_name, name) != 0 && strcmp(scn_name, gnu_zlib_name) != 0))
			continue;
		if (shdr.sh_flags & SHF_COMPRESSED) {
			if (elf_compress(scn, 0, 0) < 0 || !gelf_getshdr(scn, &shdr) ||
			    (shdr.sh_flags & SHF_COMPRESSED))
				return bytes;
		}
		Elf_Data *data = elf_getdata(scn, NULL);
		if (!data || !data->d_buf)
			return bytes;
		if (data->d_size >= 4 && memcmp(data->d_buf, "ZLIB", 4) == 0) {
			if (elf_compress_gnu(scn, 0, 0) < 0 || !(data = elf_getdata(scn, NULL)) ||
			    !data->d_buf || (data->d_size >= 4 && memcmp(data->d_buf, "ZLIB", 4) == 0))
				return bytes;
		}
		bytes.data = data->d_buf;
		bytes.size = data->d_size;
		return bytes;
	}
	return bytes;
}

/* Reads DWARF data the way bfd's read_N_bytes/_bfd_safe_read_leb128 do: running past the
 * end yields zeros and leaves the reader at the end. */
typedef struct byte_reader {
	const unsigned char *p, *end;
	bool big_endian;
} byte_reader;

static uint64_t read_fixed(byte_reader *r, size_t size)
{
	if ((size_t)(r->end - r->p) < size) {
		r->p = r->end;
		return 0;
	}
	uint64_t value = 0;
	for (size_t i = 0; i < size; i++)
		value = (value << 8) | r->p[r->big_endian ? i : size - 1 - i];
	r->p += size;
	return value;
}

static uint64_t read_leb128(byte_reader *r, bool is_signed)
{
	uint64_t result = 0;
	unsigned shift = 0;
	unsigned char byte = 0;
	while (r->p < r->end) {
		byte = *r->p++;
		if (shift < 64) {
			result |= (uint64_t)(byte & 0x7f) << shift;
			shift += 7;
		}
		if (!(byte & 0x80))
			break;
	}
	if (is_signed && shift < 64 && (byte & 0x40))
		result |= ~(uint64_t)0 << shift;
	return result;
}

/* bfd's read_string: NULL for an empty or unterminated string. */
static const char *read_cstring(byte_reader *r)
{
	const unsigned char *start = r->p;
	while (r->p < r->end) {
		if (*r->p++ == 0)
			return r->p - 1 == start ? NULL : (const char *)start;
	}
	return NULL;
}

/* A string at offset in a string section; NULL when out of range or empty (bfd). */
static const char *section_string(const section_bytes *section, uint64_t offset)
{
	if (!section->data || offset >= section->size)
		return NULL;
	const char *s = (const char *)section->data + offset;
	if (!memchr(s, 0, section->size - offset) || !*s)
		return NULL;
	return s;
}

/* ---- line tables, decoded and searched as bfd's dwarf2.c does -------------------------- */

#define NO_FILE UINT64_MAX
#define NO_LINE SIZE_MAX

typedef struct line_row {
	uint64_t address;
	uint64_t file; /* the file register, or NO_FILE */
	uint32_t line;
	unsigned char op_index;
	bool end_sequence;
	size_t prev; /* next lower row of its sequence (bfd's prev_line), or NO_LINE */
} line_row;

typedef struct line_sequence {
	uint64_t low_pc;
	size_t last_line;
	uint64_t last_address; /* sort keys */
	unsigned char last_op_index;
	size_t order;
	size_t *rows; /* its rows, lowest address first; made on first use */
	size_t row_count;
} line_sequence;

typedef struct line_file {
	const char *name;
	uint64_t dir;
} line_file;

typedef struct line_table {
	bool dir_and_file_0; /* DWARF 5 numbering */
	const char *comp_dir;
	const char **dirs;
	size_t dir_count, dir_cap;
	line_file *files;
	size_t file_count, file_cap;
	char **full_names; /* concat_filename results by file number, made on use */
	size_t full_name_count;
	line_row *rows;
	size_t row_count, row_cap;
	line_sequence *sequences;
	size_t sequence_count, sequence_cap;
	size_t local_head; /* bfd's lcl_head */
} line_table;

static void line_table_free(line_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->full_name_count; i++)
		free(t->full_names[i]);
	free(t->full_names);
	for (size_t i = 0; i < t->sequence_count; i++)
		free(t->sequences[i].rows);
	free(t->sequences);
	free(t->rows);
	free(t->files);
	free(t->dirs);
	free(t);
}

static bool row_sorts_after(const line_row *row, const line_row *other)
{
	return row->address > other->address ||
	       (row->address == other->address && row->op_index > other->op_index);
}

/* bfd's add_line_info: keeps each sequence as a list from its highest row down, keeping
 * only the last of consecutive rows at one address. */
static void add_line_row(line_table *t, uint64_t address, unsigned char op_index, uint64_t file,
			 uint32_t line, bool end_sequence)
{
	fk_grow((void **)&t->rows, sizeof(*t->rows), &t->row_cap, t->row_count + 1);
	size_t info = t->row_count++;
	line_row *rows = t->rows;
	rows[info] = (line_row){ .address = address, .file = file, .line = line, .op_index = op_index,
				 .end_sequence = end_sequence, .prev = NO_LINE };
	line_sequence *seq = t->sequence_count ? &t->sequences[t->sequence_count - 1] : NULL;

	if (seq && rows[seq->last_line].address == address && rows[seq->last_line].op_index == op_index &&
	    rows[seq->last_line].end_sequence == end_sequence) {
		if (t->local_head == seq->last_line)
			t->local_head = info;
		rows[info].prev = rows[seq->last_line].prev;
		seq->last_line = info;
	} else if (!seq || rows[seq->last_line].end_sequence) {
		fk_grow((void **)&t->sequences, sizeof(*t->sequences), &t->sequence_cap,
			t->sequence_count + 1);
		seq = &t->sequences[t->sequence_count++];
		*seq = (line_sequence){ .low_pc = address, .last_line = info };
		t->local_head = info;
	} else if (end_sequence || row_sorts_after(&rows[info], &rows[seq->last_line])) {
		rows[info].prev = seq->last_line;
		seq->last_line = info;
		if (t->local_head == NO_LINE)
			t->local_head = info;
	} else if (!row_sorts_after(&rows[info], &rows[t->local_head]) &&
		   (rows[t->local_head].prev == NO_LINE ||
		    row_sorts_after(&rows[info], &rows[rows[t->local_head].prev]))) {
		rows[info].prev = rows[t->local_head].prev;
		rows[t->local_head].prev = info;
	} else {
		size_t li2 = seq->last_line, li1 = rows[li2].prev;
		while (li1 != NO_LINE) {
			if (!row_sorts_after(&rows[info], &rows[li2]) && row_sorts_after(&rows[info], &rows[li1]))
				break;
			li2 = li1;
			li1 = rows[li1].prev;
		}
		t->local_head = li2;
		rows[info].prev = rows[li2].prev;
		rows[li2].prev = info;
		if (address < seq->low_pc)
			seq->low_pc = address;
	}
}

/* bfd's concat_filename (the name as addr2line prints it before -s), or "<unknown>". */
static const char *line_file_name(line_table *t, uint64_t file)
{
	if (file >= t->full_name_count) {
		size_t count = t->file_count + 1;
		if (file >= count)
			return "<unknown>";
		t->full_names = fk_xrealloc(t->full_names, count * sizeof(*t->full_names));
		for (size_t i = t->full_name_count; i < count; i++)
			t->full_names[i] = NULL;
		t->full_name_count = count;
	}
	if (t->full_names[file])
		return t->full_names[file];

	uint64_t index = file;
	if (!t->dir_and_file_0) {
		if (index == 0)
			return "<unknown>";
		index--;
	}
	if (index >= t->file_count || !t->files[index].name)
		return "<unknown>";
	const char *name = t->files[index].name;
	text_buffer full = { 0 };
	if (name[0] == '/') {
		text_append_str(&full, name);
	} else {
		uint64_t dir = t->files[index].dir;
		if (!t->dir_and_file_0)
			dir--;
		const char *subdir = dir < t->dir_count ? t->dirs[dir] : NULL;
		const char *dir_name = NULL;
		if (!subdir || subdir[0] != '/')
			dir_name = t->comp_dir;
		if (!dir_name) {
			dir_name = subdir;
			subdir = NULL;
		}
		if (dir_name) {
			text_append_str(&full, dir_name);
			text_append_str(&full, "/");
			if (subdir) {
				text_append_str(&full, subdir);
				text_append_str(&full, "/");
			}
		}
		text_append_str(&full, name);
	}
	t->full_names[file] = full.data;
	return full.data;
}

typedef struct line_source {
	const section_bytes *line, *line_str, *str;
	bool big_endian;
	unsigned addr_size, offset_size; /* of the unit */
	uint64_t offset;		 /* DW_AT_stmt_list */
	const char *comp_dir;
} line_source;

/* Reads one attribute value of a DWARF 5 directory/file entry (the forms bfd's
 * read_attribute_value gives a string or number for). */
static bool read_entry_value(byte_reader *r, const line_source *src, uint64_t form, const char **string,
			     uint64_t *number, bool *is_number)
{
	*string = NULL;
	*number = 0;
	*is_number = false;
	switch (form) {
	case DW_FORM_string:
		*string = read_cstring(r);
		return true;
	case DW_FORM_line_strp:
		*string = section_string(src->line_str, read_fixed(r, src->offset_size));
		return true;
	case DW_FORM_strp:
		*string = section_string(src->str, read_fixed(r, src->offset_size));
		return true;
	case DW_FORM_strx:
		read_leb128(r, false);
		return true;
	case DW_FORM_strx1:
	case DW_FORM_strx2:
	case DW_FORM_strx3:
	case DW_FORM_strx4:
		read_fixed(r, form == DW_FORM_strx1 ? 1 : form == DW_FORM_strx2 ? 2 : form == DW_FORM_strx3 ? 3 : 4);
		return true;
	case DW_FORM_udata:
		*number = read_leb128(r, false);
		*is_number = true;
		return true;
	case DW_FORM_sdata:
		read_leb128(r, true);
		return true;
	case DW_FORM_data1:
	case DW_FORM_data2:
	case DW_FORM_data4:
	case DW_FORM_data8:
		*number = read_fixed(r, form == DW_FORM_data1 ? 1 : form == DW_FORM_data2 ? 2 : form == DW_FORM_data4 ? 4 : 8);
		*is_number = true;
		return true;
	case DW_FORM_data16:
		if (r->end - r->p < 16)
			return false;
		r->p += 16;
		return true;
	case DW_FORM_block:
	case DW_FORM_block1:
	case DW_FORM_block2:
	case DW_FORM_block4: {
		uint64_t len = form == DW_FORM_block ? read_leb128(r, false)
			       : read_fixed(r, form == DW_FORM_block1 ? 1 : form == DW_FORM_block2 ? 2 : 4);
		if (len > (uint64_t)(r->end - r->p))
			return false;
		r->p += len;
		return true;
	}
	default:
		return false;
	}
}

/* bfd's read_formatted_entries: a DWARF 5 directory or file name table. */
static bool read_entries(byte_reader *r, const line_source *src, line_table *t, bool files)
{
	unsigned format_count = (unsigned)read_fixed(r, 1);
	const unsigned char *formats = r->p;
	for (unsigned i = 0; i < format_count; i++) {
		read_leb128(r, false);
		read_leb128(r, false);
	}
	uint64_t count = read_leb128(r, false);
	if ((format_count == 0 && count != 0) || count > (uint64_t)(r->end - r->p))
		return false;
	for (uint64_t n = 0; n < count; n++) {
		byte_reader format = { formats, r->end, r->big_endian };
		const char *name = NULL;
		uint64_t dir = 0;
		for (unsigned i = 0; i < format_count; i++) {
			uint64_t content = read_leb128(&format, false);
			uint64_t form = read_leb128(&format, false);
			if (content != DW_LNCT_path && content != DW_LNCT_directory_index &&
			    content != DW_LNCT_timestamp && content != DW_LNCT_size && content != DW_LNCT_MD5)
				return false;
			const char *string;
			uint64_t number;
			bool is_number;
			if (!read_entry_value(r, src, form, &string, &number, &is_number))
				return false;
			if (content == DW_LNCT_path &&
			    (form == DW_FORM_string || form == DW_FORM_line_strp || form == DW_FORM_strx ||
			     (form >= DW_FORM_strx1 && form <= DW_FORM_strx4)))
				name = string; /* bfd takes no DW_FORM_strp name here */
			if (content == DW_LNCT_directory_index && is_number)
				dir = (uint32_t)number;
		}
		if (files) {
			fk_grow((void **)&t->files, sizeof(*t->files), &t->file_cap, t->file_count + 1);
			t->files[t->file_count++] = (line_file){ .name = name, .dir = dir };
		} else {
			fk_grow((void **)&t->dirs, sizeof(*t->dirs), &t->dir_cap, t->dir_count + 1);
			t->dirs[t->dir_count++] = name;
		}
	}
	return true;
}

static int compare_sequences(const void *a, const void *b)
{
	const line_sequence *x = a, *y = b;
	if (x->low_pc != y->low_pc)
		return x->low_pc < y->low_pc ? -1 : 1;
	if (x->last_address != y->last_address)
		return x->last_address < y->last_address ? 1 : -1;
	if (x->last_op_index != y->last_op_index)
		return x->last_op_index < y->last_op_index ? 1 : -1;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* bfd's sort_line_sequences: sorted by start, nested sequences dropped, overlapping ones
 * trimmed, so that they can be binary searched. */
static void sort_line_sequences(line_table *t)
{
	size_t n = t->sequence_count;
	if (n == 0)
		return;
	/* bfd numbers them from the most recent one; the keys make the order total. */
	for (size_t i = 0; i < n; i++) {
		line_sequence *seq = &t->sequences[i];
		seq->order = n - 1 - i;
		seq->last_address = t->rows[seq->last_line].address;
		seq->last_op_index = t->rows[seq->last_line].op_index;
	}
	qsort(t->sequences, n, sizeof(*t->sequences), compare_sequences);
	size_t kept = 1;
	uint64_t last_high = t->rows[t->sequences[0].last_line].address;
	for (size_t i = 1; i < n; i++) {
		line_sequence *seq = &t->sequences[i];
		uint64_t high = t->rows[seq->last_line].address;
		if (seq->low_pc < last_high) {
			if (high <= last_high)
				continue;
			seq->low_pc = last_high;
		}
		last_high = high;
		if (i > kept) {
			t->sequences[kept].low_pc = seq->low_pc;
			t->sequences[kept].last_line = seq->last_line;
		}
		kept++;
	}
	t->sequence_count = kept;
}

/* bfd's decode_line_info. NULL when bfd would reject the table. */
static line_table *decode_line_table(const line_source *src)
{
	const section_bytes *section = src->line;
	if (!section->data || section->size < 16 || src->offset >= section->size)
		return NULL;
	line_table *t = fk_xcalloc(1, sizeof(*t));
	t->local_head = NO_LINE;
	t->comp_dir = src->comp_dir;
	byte_reader r = { section->data + src->offset, section->data + section->size, src->big_endian };

	unsigned offset_size = 4;
	uint64_t total_length = read_fixed(&r, 4);
	if (total_length == 0xffffffff) {
		total_length = read_fixed(&r, 8);
		offset_size = 8;
	} else if (total_length == 0 && src->addr_size == 8) {
		total_length = read_fixed(&r, 4);
		offset_size = 8;
	}
	if (total_length > (uint64_t)(r.end - r.p))
		goto fail;
	r.end = r.p + total_length;
	unsigned version = (unsigned)read_fixed(&r, 2);
	if (version < 2 || version > 5)
		goto fail;
	if ((size_t)(r.end - r.p) <= offset_size + (version >= 5 ? 8u : version >= 4 ? 6u : 5u))
		goto fail;
	if (version >= 5) {
		read_fixed(&r, 1); /* address size */
		if (read_fixed(&r, 1) != 0)
			goto fail; /* segment selector size */
	}
	read_fixed(&r, offset_size); /* header length: bfd reads on regardless */
	unsigned min_inst_length = (unsigned)read_fixed(&r, 1);
	unsigned max_ops_per_insn = version >= 4 ? (unsigned)read_fixed(&r, 1) : 1;
	if (max_ops_per_insn == 0)
		goto fail;
	read_fixed(&r, 1); /* default_is_stmt */
	int line_base = (int8_t)read_fixed(&r, 1);
	unsigned line_range = (unsigned)read_fixed(&r, 1);
	unsigned opcode_base = (unsigned)read_fixed(&r, 1);
	if ((ptrdiff_t)opcode_base - 1 >= r.end - r.p)
		goto fail;
	unsigned char opcode_lengths[256] = { 1 };
	for (unsigned i = 1; i < opcode_base; i++)
		opcode_lengths[i] = (unsigned char)read_fixed(&r, 1);

	if (version >= 5) {
		if (!read_entries(&r, src, t, false) || !read_entries(&r, src, t, true))
			goto fail;
		t->dir_and_file_0 = true;
	} else {
		const char *name;
		while ((name = read_cstring(&r)) != NULL) {
			fk_grow((void **)&t->dirs, sizeof(*t->dirs), &t->dir_cap, t->dir_count + 1);
			t->dirs[t->dir_count++] = name;
		}
		while ((name = read_cstring(&r)) != NULL) {
			uint64_t dir = read_leb128(&r, false);
			read_leb128(&r, false);
			read_leb128(&r, false);
			fk_grow((void **)&t->files, sizeof(*t->files), &t->file_cap, t->file_count + 1);
			t->files[t->file_count++] = (line_file){ .name = name, .dir = (uint32_t)dir };
		}
	}

	while (r.p < r.end) {
		uint64_t address = 0;
		unsigned char op_index = 0;
		uint64_t file = t->file_count ? (t->dir_and_file_0 ? 0 : 1) : NO_FILE;
		uint32_t line = 1;
		bool end_sequence = false;
		while (!end_sequence && r.p < r.end) {
			unsigned op = (unsigned)read_fixed(&r, 1);
			if (op >= opcode_base) {
				unsigned adjusted = op - opcode_base;
				if (line_range == 0)
					goto fail;
				if (max_ops_per_insn == 1) {
					address += adjusted / line_range * min_inst_length;
				} else {
					address += (op_index + adjusted / line_range) / max_ops_per_insn *
						   min_inst_length;
					op_index = (unsigned char)((op_index + adjusted / line_range) %
								   max_ops_per_insn);
				}
				line += (uint32_t)(line_base + (int)(adjusted % line_range));
				add_line_row(t, address, op_index, file, line, false);
				continue;
			}
			switch (op) {
			case 0: { /* extended opcode */
				uint64_t length = read_leb128(&r, false);
				unsigned extended = (unsigned)read_fixed(&r, 1);
				switch (extended) {
				case DW_LNE_end_sequence:
					end_sequence = true;
					add_line_row(t, address, op_index, file, line, true);
					break;
				case DW_LNE_set_address:
					address = read_fixed(&r, src->addr_size);
					op_index = 0;
					break;
				case DW_LNE_define_file: {
					const char *name = read_cstring(&r);
					uint64_t dir = read_leb128(&r, false);
					read_leb128(&r, false);
					read_leb128(&r, false);
					fk_grow((void **)&t->files, sizeof(*t->files), &t->file_cap, t->file_count + 1);
					t->files[t->file_count++] = (line_file){ .name = name, .dir = (uint32_t)dir };
					break;
				}
				case DW_LNE_set_discriminator:
					read_leb128(&r, false);
					break;
				case 0x80: /* DW_LNE_HP_source_file_correlation */
					r.p += length - 1 <= (uint64_t)(r.end - r.p) ? length - 1 : (uint64_t)(r.end - r.p);
					break;
				default:
					goto fail;
				}
				break;
			}
			case DW_LNS_copy:
				add_line_row(t, address, op_index, file, line, false);
				break;
			case DW_LNS_advance_pc:
				if (max_ops_per_insn == 1) {
					address += min_inst_length * read_leb128(&r, false);
				} else {
					uint64_t adjust = read_leb128(&r, false);
					/* sic: bfd assigns here */
					address = (op_index + adjust) / max_ops_per_insn * min_inst_length;
					op_index = (unsigned char)((op_index + adjust) % max_ops_per_insn);
				}
				break;
			case DW_LNS_advance_line:
				line += (uint32_t)read_leb128(&r, true);
				break;
			case DW_LNS_set_file:
				file = read_leb128(&r, false);
				break;
			case DW_LNS_set_column:
				read_leb128(&r, false);
				break;
			case DW_LNS_negate_stmt:
			case DW_LNS_set_basic_block:
				break;
			case DW_LNS_const_add_pc:
				if (line_range == 0)
					goto fail;
				if (max_ops_per_insn == 1) {
					address += min_inst_length * ((255 - opcode_base) / line_range);
				} else {
					uint64_t adjust = (255 - opcode_base) / line_range;
					address += min_inst_length * ((op_index + adjust) / max_ops_per_insn);
					op_index = (unsigned char)((op_index + adjust) % max_ops_per_insn);
				}
				break;
			case DW_LNS_fixed_advance_pc:
				address += read_fixed(&r, 2);
				op_index = 0;
				break;
			default:
				for (unsigned i = 0; i < opcode_lengths[op]; i++)
					read_leb128(&r, false);
				break;
			}
		}
	}
	sort_line_sequences(t);
	return t;
fail:
	line_table_free(t);
	return NULL;
}

/* bfd's build_line_info_table: a sequence's rows, lowest first. */
static void sequence_rows(line_table *t, line_sequence *seq)
{
	if (seq->rows)
		return;
	size_t count = 0;
	for (size_t i = seq->last_line; i != NO_LINE; i = t->rows[i].prev)
		count++;
	seq->rows = fk_xcalloc(count ? count : 1, sizeof(*seq->rows));
	seq->row_count = count;
	for (size_t i = seq->last_line; i != NO_LINE; i = t->rows[i].prev)
		seq->rows[--count] = i;
}

/* bfd's lookup_address_in_line_info_table. */
static bool line_table_lookup(line_table *t, uint64_t addr, const char **file, unsigned *line)
{
	line_sequence *seq = NULL;
	size_t low = 0, high = t->sequence_count;
	while (low < high) {
		size_t mid = (low + high) / 2;
		seq = &t->sequences[mid];
		if (addr < seq->low_pc)
			high = mid;
		else if (addr >= t->rows[seq->last_line].address)
			low = mid + 1;
		else
			break;
	}
	if (!seq || addr < seq->low_pc || addr >= t->rows[seq->last_line].address)
		return false;
	sequence_rows(t, seq);
	const line_row *info = NULL;
	size_t mid = 0;
	low = 0;
	high = seq->row_count;
	while (low < high) {
		mid = (low + high) / 2;
		info = &t->rows[seq->rows[mid]];
		if (addr < info->address)
			high = mid;
		else if (addr >= t->rows[seq->rows[mid + 1]].address)
			low = mid + 1;
		else
			break;
	}
	if (!info || addr < info->address || mid + 1 >= seq->row_count ||
	    addr >= t->rows[seq->rows[mid + 1]].address || info->end_sequence ||
	    seq->rows[mid] == seq->last_line)
		return false;
	const char *name = info->file == NO_FILE ? NULL : line_file_name(t, info->file);
	*file = name && name[0] ? name : NULL;
	*line = info->line;
	return true;
}

/* ---- DWARF units and their function tables ---------------------------------------- */

typedef struct address_range {
	uint64_t low, high;
} address_range;

typedef struct function_info {
	Dwarf_Off die_offset;
	uint32_t caller; /* the enclosing function of an inlined one, else NO_INDEX */
	uint32_t first_range, range_count;
	int tag;
	bool has_call_file;
	uint64_t call_file;
	uint64_t call_line;
	bool name_resolved, is_linkage;
	const char *name;
} function_info;

/* bfd's lookup_funcinfo: a function's lowest and highest address; after sorting, high is
 * the highest address of this and all earlier entries. */
typedef struct function_lookup {
	uint64_t low, high;
	uint32_t function;
} function_lookup;

typedef struct unit_info {
	Dwarf_Off die_offset;
	bool has_stmt_list;
	uint64_t stmt_list;
	unsigned addr_size, offset_size;
	const char *comp_dir;
	bool lines_failed;   /* bfd would reject its line table: the unit is unusable */
	line_table *lines;   /* decoded on first use */
	bool functions_built;
	function_info *functions;
	size_t function_count, function_cap;
	address_range *ranges;
	size_t range_count, range_cap;
	function_lookup *lookup;
	size_t lookup_count;
} unit_info;

/* An address range some unit may cover (its DW_AT_ranges, or one of its line sequences). */
typedef struct unit_span {
	uint64_t low, high;
	uint64_t max_high; /* highest high of this and all earlier spans, after sorting */
	uint32_t unit;
} unit_span;

typedef struct inline_module {
	bool usable; /* opened, with DWARF */
	Dwfl *dwfl;
	Elf *elf;
	Dwarf *dwarf;
	bool elf32;
	elf_section *sections;
	size_t section_count;
	symbol_table symbols;
	Elf *debug_elf; /* separate debug file, or NULL */
	elf_section *debug_sections;
	size_t debug_section_count;
	symbol_table debug_symbols;
	section_bytes debug_line, debug_line_str, debug_str;
	bool big_endian;
	bool units_indexed;
	unit_info *units;
	size_t unit_count, unit_cap;
	unit_span *spans;
	size_t span_count, span_cap;
	uint32_t *candidates; /* scratch for one lookup */
	size_t candidate_cap;
} inline_module;

static void add_span(inline_module *m, uint64_t low, uint64_t high, uint32_t unit)
{
	if (low >= high)
		return;
	fk_grow((void **)&m->spans, sizeof(*m->spans), &m->span_cap, m->span_count + 1);
	m->spans[m->span_count++] = (unit_span){ .low = low, .high = high, .unit = unit };
}

static int compare_spans(const void *a, const void *b)
{
	const unit_span *x = a, *y = b;
	if (x->low != y->low)
		return x->low < y->low ? -1 : 1;
	if (x->high != y->high)
		return x->high < y->high ? -1 : 1;
	return x->unit < y->unit ? -1 : x->unit > y->unit;
}

static line_table *unit_lines(inline_module *m, unit_info *unit)
{
	if (unit->lines || unit->lines_failed)
		return unit->lines;
	line_source src = { .line = &m->debug_line, .line_str = &m->debug_line_str, .str = &m->debug_str,
			    .big_endian = m->big_endian, .addr_size = unit->addr_size,
			    .offset_size = unit->offset_size, .offset = unit->stmt_list,
			    .comp_dir = unit->comp_dir };
	unit->lines = unit->has_stmt_list ? decode_line_table(&src) : NULL;
	unit->lines_failed = unit->lines == NULL;
	return unit->lines;
}

/* Lists every unit of .debug_info with the address ranges it may cover: its line
 * sequences and its own DW_AT_low_pc/high_pc/ranges. */
static void index_units(inline_module *m)
{
	m->units_indexed = true;
	Dwarf_Off offset = 0, next = 0;
	size_t header_size = 0;
	uint8_t addr_size = 0, offset_size = 0;
	while (dwarf_next_unit(m->dwarf, offset, &next, &header_size, NULL, NULL, &addr_size,
			       &offset_size, NULL, NULL) == 0) {
		Dwarf_Die cudie;
		if (dwarf_offdie(m->dwarf, offset + header_size, &cudie)) {
			fk_grow((void **)&m->units, sizeof(*m->units), &m->unit_cap, m->unit_count + 1);
			uint32_t index = (uint32_t)m->unit_count++;
			unit_info *unit = &m->units[index];
			memset(unit, 0, sizeof(*unit));
			unit->die_offset = offset + header_size;
			unit->addr_size = addr_size;
			unit->offset_size = offset_size;
			Dwarf_Attribute attr;
			Dwarf_Word stmt_list;
			if (dwarf_attr(&cudie, DW_AT_stmt_list, &attr) &&
			    dwarf_formudata(&attr, &stmt_list) == 0) {
				unit->has_stmt_list = true;
				unit->stmt_list = stmt_list;
			}
			const char *comp_dir = dwarf_attr(&cudie, DW_AT_comp_dir, &attr) ? dwarf_formstring(&attr) : NULL;
			if (comp_dir) {
				/* bfd drops an Irix "machine.:" prefix */
				const char *colon = strchr(comp_dir, ':');
				if (colon && colon != comp_dir && colon[-1] == '.' && colon[1] == '/')
					comp_dir = colon + 1;
			}
			unit->comp_dir = comp_dir;

			Dwarf_Addr base, start, end;
			ptrdiff_t range_offset = 0;
			while ((range_offset = dwarf_ranges(&cudie, range_offset, &base, &start, &end)) > 0)
				add_span(m, start, end, index);

			line_table *lines = unit_lines(m, unit);
			if (lines) {
				for (size_t i = 0; i < lines->sequence_count; i++)
					add_span(m, lines->sequences[i].low_pc,
						 lines->rows[lines->sequences[i].last_line].address, index);
				/* Decoded again when needed: keeps memory to the units used. */
				line_table_free(lines);
				unit->lines = NULL;
			}
		}
		offset = next;
	}
	if (m->span_count == 0)
		return;
	qsort(m->spans, m->span_count, sizeof(*m->spans), compare_spans);
	uint64_t max_high = 0;
	for (size_t i = 0; i < m->span_count; i++) {
		if (m->spans[i].high > max_high)
			max_high = m->spans[i].high;
		m->spans[i].max_high = max_high;
	}
}

static int compare_indexes(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* The units that may cover addr, in .debug_info order, into m->candidates. */
static size_t candidate_units(inline_module *m, uint64_t addr)
{
	size_t low = 0, high = m->span_count;
	while (low < high) {
		size_t mid = low + (high - low) / 2;
		if (m->spans[mid].max_high <= addr)
			low = mid + 1;
		else
			high = mid;
	}
	size_t count = 0;
	for (size_t i = low; i < m->span_count && m->spans[i].low <= addr; i++) {
		if (addr >= m->spans[i].high)
			continue;
		fk_grow((void **)&m->candidates, sizeof(*m->candidates), &m->candidate_cap, count + 1);
		m->candidates[count++] = m->spans[i].unit;
	}
	if (count > 1)
		qsort(m->candidates, count, sizeof(*m->candidates), compare_indexes);
	size_t unique = 0;
	for (size_t i = 0; i < count; i++)
		if (unique == 0 || m->candidates[unique - 1] != m->candidates[i])
			m->candidates[unique++] = m->candidates[i];
	return unique;
}

/* bfd's arange_add: extends a range that the new one touches, else adds it. */
static void function_add_range(unit_info *unit, function_info *fn, uint64_t low, uint64_t high)
{
	if (low == high)
		return;
	for (uint32_t i = 0; i < fn->range_count; i++) {
		address_range *r = &unit->ranges[fn->first_range + i];
		if (low == r->high) {
			r->high = high;
			return;
		}
		if (high == r->low) {
			r->low = low;
			return;
		}
	}
	fk_grow((void **)&unit->ranges, sizeof(*unit->ranges), &unit->range_cap, unit->range_count + 1);
	unit->ranges[unit->range_count++] = (address_range){ .low = low, .high = high };
	fn->range_count++;
}

static void add_function(unit_info *unit, Dwarf_Die *die, int tag, uint32_t caller)
{
	fk_grow((void **)&unit->functions, sizeof(*unit->functions), &unit->function_cap,
		unit->function_count + 1);
	function_info *fn = &unit->functions[unit->function_count++];
	memset(fn, 0, sizeof(*fn));
	fn->die_offset = dwarf_dieoffset(die);
	fn->tag = tag;
	fn->caller = tag == DW_TAG_inlined_subroutine ? caller : NO_INDEX;
	fn->first_range = (uint32_t)unit->range_count;

	Dwarf_Attribute attr;
	Dwarf_Word value;
	if (dwarf_attr(die, DW_AT_call_file, &attr) && dwarf_formudata(&attr, &value) == 0) {
		fn->has_call_file = true;
		fn->call_file = value;
	}
	if (dwarf_attr(die, DW_AT_call_line, &attr) && dwarf_formudata(&attr, &value) == 0)
		fn->call_line = value;

	/* Ranges as bfd collects them: DW_AT_ranges (bfd 2.40 ignores the DWARF 5
	 * DW_FORM_rnglistx form), then DW_AT_low_pc/high_pc. */
	bool has_low_high = dwarf_hasattr(die, DW_AT_low_pc) && dwarf_hasattr(die, DW_AT_high_pc);
	if (dwarf_attr(die, DW_AT_ranges, &attr) && dwarf_whatform(&attr) != DW_FORM_rnglistx &&
	    !has_low_high) {
		Dwarf_Addr base, start, end;
		ptrdiff_t offset = 0;
		while ((offset = dwarf_ranges(die, offset, &base, &start, &end)) > 0)
			function_add_range(unit, fn, start, end);
	}
	Dwarf_Addr low, high;
	if (has_low_high && dwarf_lowpc(die, &low) == 0 && dwarf_highpc(die, &high) == 0 && high != 0)
		function_add_range(unit, fn, low, high);
}

static int compare_function_lookup(const void *a, const void *b)
{
	const function_lookup *x = a, *y = b;
	if (x->low != y->low)
		return x->low < y->low ? -1 : 1;
	if (x->high != y->high)
		return x->high < y->high ? -1 : 1;
	return x->function < y->function ? -1 : x->function > y->function;
}

/* Walks all DIEs of the unit (bfd's scan_unit_for_symbols) collecting functions, each
 * inlined one with its nearest enclosing function, then sorts them for lookups. */
static void build_unit_functions(inline_module *m, unit_info *unit)
{
	unit->functions_built = true;
	Dwarf_Die cudie, die;
	if (!dwarf_offdie(m->dwarf, unit->die_offset, &cudie) || dwarf_child(&cudie, &die) != 0)
		return;

	Dwarf_Die *parents = NULL;
	uint32_t *nearest_function = NULL; /* per depth: innermost function at or above */
	size_t parents_cap = 0, nearest_cap = 0, depth = 0;
	for (;;) {
		int tag = dwarf_tag(&die);
		uint32_t outer = depth > 0 ? nearest_function[depth - 1] : NO_INDEX;
		uint32_t index = NO_INDEX;
		if (tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine ||
		    tag == DW_TAG_entry_point) {
			index = (uint32_t)unit->function_count;
			add_function(unit, &die, tag, outer);
		}
		fk_grow((void **)&nearest_function, sizeof(*nearest_function), &nearest_cap, depth + 1);
		nearest_function[depth] = index != NO_INDEX ? index : outer;

		Dwarf_Die child;
		if (dwarf_haschildren(&die) > 0 && dwarf_child(&die, &child) == 0) {
			fk_grow((void **)&parents, sizeof(*parents), &parents_cap, depth + 1);
			parents[depth++] = die;
			die = child;
			continue;
		}
		for (;;) {
			Dwarf_Die sibling;
			if (dwarf_siblingof(&die, &sibling) == 0) {
				die = sibling;
				break;
			}
			if (depth == 0)
				goto walked;
			die = parents[--depth];
		}
	}
walked:
	free(parents);
	free(nearest_function);

	unit->lookup = fk_xcalloc(unit->function_count ? unit->function_count : 1, sizeof(*unit->lookup));
	for (size_t i = 0; i < unit->function_count; i++) {
		const function_info *fn = &unit->functions[i];
		if (fn->range_count == 0)
			continue;
		function_lookup *entry = &unit->lookup[unit->lookup_count++];
		entry->function = (uint32_t)i;
		entry->low = UINT64_MAX;
		entry->high = 0;
		for (uint32_t r = 0; r < fn->range_count; r++) {
			const address_range *range = &unit->ranges[fn->first_range + r];
			if (range->low < entry->low)
				entry->low = range->low;
			if (range->high > entry->high)
				entry->high = range->high;
		}
	}
	qsort(unit->lookup, unit->lookup_count, sizeof(*unit->lookup), compare_function_lookup);
	uint64_t max_high = 0;
	for (size_t i = 0; i < unit->lookup_count; i++) {
		if (unit->lookup[i].high > max_high)
			max_high = unit->lookup[i].high;
		unit->lookup[i].high = max_high;
	}
}

/* bfd's lookup_address_in_function_table: the function whose range containing addr is
 * the smallest; on a tie the one later in the unit. */
static uint32_t unit_function_at(const unit_info *unit, uint64_t addr)
{
	size_t n = unit->lookup_count;
	if (n == 0 || unit->lookup[n - 1].high < addr)
		return NO_INDEX;
	size_t low = 0, high = n, first = n;
	while (low < high) {
		size_t mid = low + (high - low) / 2;
		const function_lookup *entry = &unit->lookup[mid];
		if (addr < entry->low)
			high = mid;
		else if (addr >= entry->high)
			low = mid + 1;
		else
			high = first = mid;
	}
	uint32_t best = NO_INDEX;
	uint64_t best_len = UINT64_MAX;
	for (size_t i = first; i < n && addr >= unit->lookup[i].low; i++) {
		uint32_t index = unit->lookup[i].function;
		const function_info *fn = &unit->functions[index];
		for (uint32_t r = 0; r < fn->range_count; r++) {
			const address_range *range = &unit->ranges[fn->first_range + r];
			if (addr < range->low || addr >= range->high)
				continue;
			uint64_t len = range->high - range->low;
			if (len < best_len || (len == best_len && index > best)) {
				best = index;
				best_len = len;
			}
		}
	}
	return best;
}

/* ---- function names, as bfd derives them ------------------------------------------- */

/* bfd's mangle_style(lang) == 0: languages whose DW_AT_name is the linkage name. */
static bool language_has_plain_names(int lang)
{
	switch (lang) {
	case DW_LANG_C89:
	case DW_LANG_C:
	case DW_LANG_Cobol74:
	case DW_LANG_Cobol85:
	case DW_LANG_Fortran77:
	case DW_LANG_Pascal83:
	case DW_LANG_PLI:
	case DW_LANG_C99:
	case DW_LANG_UPC:
	case DW_LANG_C11:
	case 0x8001: /* DW_LANG_Mips_Assembler */
	case 0x8765: /* DW_LANG_Upc */
	case 0x8004: /* DW_LANG_HP_Basic91 */
	case 0x8006: /* DW_LANG_HP_IMacro */
	case 0x8007: /* DW_LANG_HP_Assembler */
		return true;
	default:
		return false;
	}
}

static int die_language(Dwarf_Die *die)
{
	Dwarf_Die cudie;
	if (!dwarf_diecu(die, &cudie, NULL, NULL))
		return 0;
	int lang = dwarf_srclang(&cudie);
	return lang < 0 ? 0 : lang;
}

typedef struct name_walk {
	const char *name;
	bool is_linkage;
	int lang;
	unsigned depth;
	bool own_die; /* the function's DIE itself: abstract_origin is followed too */
} name_walk;

/* One attribute, in DIE order, of bfd's scan_unit_for_symbols (own DIE) or
 * find_abstract_instance (a DIE it refers to). */
static int name_attribute(Dwarf_Attribute *attr, void *arg)
{
	name_walk *walk = arg;
	switch (dwarf_whatattr(attr)) {
	case DW_AT_name: {
		const char *s = walk->name ? NULL : dwarf_formstring(attr);
		if (s) {
			walk->name = s;
			if (language_has_plain_names(walk->lang))
				walk->is_linkage = true;
		}
		break;
	}
	case DW_AT_linkage_name:
	case DW_AT_MIPS_linkage_name: {
		const char *s = dwarf_formstring(attr);
		if (s) {
			walk->name = s;
			walk->is_linkage = true;
		}
		break;
	}
	case DW_AT_abstract_origin:
		if (!walk->own_die)
			break;
		/* fall through */
	case DW_AT_specification: {
		Dwarf_Die origin;
		if (walk->depth < MAX_ABSTRACT_DEPTH && dwarf_formref_die(attr, &origin)) {
			name_walk inner = *walk;
			inner.own_die = false;
			inner.depth++;
			inner.lang = die_language(&origin);
			dwarf_getattrs(&origin, name_attribute, &inner, 0);
			walk->name = inner.name;
			walk->is_linkage = inner.is_linkage;
		}
		break;
	}
	default:
		break;
	}
	return DWARF_CB_OK;
}

static void resolve_function_name(inline_module *m, function_info *fn)
{
	if (fn->name_resolved)
		return;
	fn->name_resolved = true;
	Dwarf_Die die;
	if (!dwarf_offdie(m->dwarf, fn->die_offset, &die))
		return;
	name_walk walk = { .lang = die_language(&die), .own_die = true };
	dwarf_getattrs(&die, name_attribute, &walk, 0);
	fn->name = walk.name;
	fn->is_linkage = walk.is_linkage;
}

/* ---- demangling --------------------------------------------------------------------- */

char *fk_demangle(const char *name)
{
	/* bfd_demangle: leading dots/dollars and an "@..." suffix are not demangled but kept. */
	const char *prefix = name;
	while (*name == '.' || *name == '$')
		name++;
	size_t prefix_len = (size_t)(name - prefix);
	const char *suffix = strchr(name, '@');
	char *bare = suffix ? fk_xstrndup(name, (size_t)(suffix - name)) : NULL;
	char *demangled = cplus_demangle(bare ? bare : name, DMGL_PARAMS | DMGL_ANSI);
	free(bare);
	if (!demangled)
		return NULL;
	size_t len = strlen(demangled), suffix_len = suffix ? strlen(suffix) : 0;
	char *result = fk_xmalloc(prefix_len + len + suffix_len + 1);
	memcpy(result, prefix, prefix_len);
	memcpy(result + prefix_len, demangled, len);
	if (suffix_len)
		memcpy(result + prefix_len + len, suffix, suffix_len);
	result[prefix_len + len + suffix_len] = '\0';
	free(demangled);
	return result;
}

/* ---- addr2line's output --------------------------------------------------------------- */

/* One function/location pair as `addr2line -f -s -C` prints it. */
static void append_frame(text_buffer *out, const char *name, const char *file, uint64_t line)
{
	if (!name || !*name) {
		text_append_str(out, "??");
	} else {
		char *demangled = fk_demangle(name);
		text_append_str(out, demangled ? demangled : name);
		free(demangled);
	}
	text_append_str(out, "\n");
	if (file) {
		const char *slash = strrchr(file, '/');
		if (slash)
			file = slash + 1;
	}
	text_append_str(out, file ? file : "??");
	char number[32];
	if ((unsigned)line != 0)
		snprintf(number, sizeof(number), ":%u\n", (unsigned)line);
	else
		snprintf(number, sizeof(number), ":?\n");
	text_append_str(out, number);
}

/* The first allocated section holding addr, or 0. */
static uint32_t section_containing(const inline_module *m, uint64_t addr)
{
	for (size_t i = 1; i < m->section_count; i++) {
		const elf_section *s = &m->sections[i];
		if ((s->flags & SHF_ALLOC) && addr >= s->addr && addr - s->addr < s->size)
			return (uint32_t)i;
	}
	return 0;
}

/* What `addr2line -i -f -s -C -e MODULE ADDR` prints after the address line. */
static void addr2line_text(inline_module *m, uint64_t addr, text_buffer *out)
{
	uint32_t section = section_containing(m, addr);
	if (section == 0) {
		text_append_str(out, "??\n??:0\n");
		return;
	}
	uint64_t section_offset = addr - m->sections[section].addr;

	/* _bfd_dwarf2_find_nearest_line */
	if (!m->units_indexed)
		index_units(m);
	bool found = false;
	const char *name = NULL, *file = NULL;
	unsigned line = 0;
	unit_info *unit = NULL;
	function_info *fn = NULL;
	size_t candidates = candidate_units(m, addr);
	for (size_t i = 0; i < candidates; i++) {
		unit_info *u = &m->units[m->candidates[i]];
		line_table *lines = unit_lines(m, u);
		if (!lines)
			continue;
		if (!u->functions_built)
			build_unit_functions(m, u);
		uint32_t index = unit_function_at(u, addr);
		file = NULL;
		bool line_found = line_table_lookup(lines, addr, &file, &line);
		if (line_found || index != NO_INDEX) {
			found = true;
			unit = u;
			fn = index != NO_INDEX ? &u->functions[index] : NULL;
			break;
		}
	}
	if (fn)
		resolve_function_name(m, fn);
	if (fn && fn->is_linkage) {
		name = fn->name;
	} else {
		/* Name from the symbols of the file holding the DWARF. */
		const symbol_table *symbols = &m->symbols;
		uint32_t symbol_section = section;
		uint64_t symbol_section_addr = m->sections[section].addr;
		if (m->debug_elf && section < m->debug_section_count &&
		    strcmp(m->debug_sections[section].name, m->sections[section].name) == 0) {
			symbols = &m->debug_symbols;
			symbol_section_addr = m->debug_sections[section].addr;
		}
		symbol_match match;
		if (find_function_symbol(symbols, symbol_section, symbol_section_addr, section_offset,
					 &match)) {
			name = match.name;
			if (!file)
				file = match.file;
			found = true;
		} else if (fn) {
			name = fn->name;
		}
	}
	if (!found) {
		/* _bfd_elf_find_nearest_line, after DWARF found nothing: the module's symbols. */
		symbol_match match;
		if (find_function_symbol(&m->symbols, section, m->sections[section].addr,
					 section_offset, &match)) {
			found = true;
			name = match.name;
			file = match.file;
			line = 0;
		}
	}
	if (!found) {
		text_append_str(out, "??\n??:0\n");
		return;
	}
	append_frame(out, name, file, line);
	if (!fn || fn->tag != DW_TAG_inlined_subroutine)
		return;
	for (const function_info *inlined = fn; inlined->caller != NO_INDEX;
	     inlined = &unit->functions[inlined->caller]) {
		function_info *caller = &unit->functions[inlined->caller];
		resolve_function_name(m, caller);
		const char *call_file =
			inlined->has_call_file ? line_file_name(unit->lines, inlined->call_file) : NULL;
		append_frame(out, caller->name, call_file, inlined->call_line);
	}
}

/* ---- modules ---------------------------------------------------------------------------- */

/* Whether the file's CRC-32 is the one its .gnu_debuglink records (0: not checked). */
static bool file_crc_matches(int fd, GElf_Word expected)
{
	if (expected == 0)
		return true;
	unsigned char buffer[1 << 16];
	uLong crc = crc32(0, Z_NULL, 0);
	ssize_t n;
	while ((n = read(fd, buffer, sizeof(buffer))) > 0)
		crc = crc32(crc, buffer, (uInt)n);
	return n == 0 && lseek(fd, 0, SEEK_SET) == 0 && (GElf_Word)crc == expected;
}

static int open_debug_candidate(const char *path, GElf_Word crc, char **found_path)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	if (!file_crc_matches(fd, crc)) {
		close(fd);
		return -1;
	}
	*found_path = fk_xstrdup(path);
	return fd;
}

/* Separate debug info where addr2line looks for it, and nowhere else (no debuginfod,
 * which dwfl_standard_find_debuginfo would ask when DEBUGINFOD_URLS is set): first
 * /usr/lib/debug/.build-id/, then the .gnu_debuglink name next to the file, in its
 * .debug/ directory, and under /usr/lib/debug and /usr/lib/debug/usr. */
static int find_debuginfo_locally(Dwfl_Module *mod, void **userdata, const char *modname, GElf_Addr base,
				  const char *file_name, const char *debuglink, GElf_Word crc,
				  char **debuginfo_file_name)
{
	int fd = dwfl_build_id_find_debuginfo(mod, userdata, modname, base, file_name, debuglink, crc,
					      debuginfo_file_name);
	if (fd >= 0)
		return fd;
	if (!file_name || !debuglink || !*debuglink)
		return -1;
	if (debuglink[0] == '/' && (fd = open_debug_candidate(debuglink, crc, debuginfo_file_name)) >= 0)
		return fd;

	const char *slash = strrchr(file_name, '/');
	int dir_len = slash ? (int)(slash - file_name + 1) : 0;
	char *canonical = realpath(file_name, NULL);
	char *canonical_slash = canonical ? strrchr(canonical, '/') : NULL;
	int canonical_len = canonical_slash ? (int)(canonical_slash - canonical + 1) : 0;
	size_t cap = strlen(file_name) + (canonical ? strlen(canonical) : 0) + strlen(debuglink) + 64;
	char *path = fk_xmalloc(cap);
	for (int attempt = 0; attempt < 4 && fd < 0; attempt++) {
		switch (attempt) {
		case 0:
			snprintf(path, cap, "%.*s%s", dir_len, file_name, debuglink);
			break;
		case 1:
			snprintf(path, cap, "%.*s.debug/%s", dir_len, file_name, debuglink);
			break;
		case 2:
			snprintf(path, cap, "/usr/lib/debug%.*s%s", canonical_len, canonical ? canonical : "",
				 debuglink);
			break;
		default:
			snprintf(path, cap, "/usr/lib/debug/usr%.*s%s", canonical_len,
				 canonical ? canonical : "", debuglink);
			break;
		}
		fd = open_debug_candidate(path, crc, debuginfo_file_name);
	}
	free(path);
	free(canonical);
	return fd;
}

static const Dwfl_Callbacks offline_callbacks = {
	.find_elf = dwfl_build_id_find_elf,
	.find_debuginfo = find_debuginfo_locally,
	.section_address = dwfl_offline_section_address,
};

static inline_module *module_open(const char *path)
{
	inline_module *m = fk_xcalloc(1, sizeof(*m));
	m->dwfl = dwfl_begin(&offline_callbacks);
	if (!m->dwfl)
		return m;
	dwfl_report_begin(m->dwfl);
	/* Reported at its own addresses (bias 0), so file addresses are module addresses. */
	Dwfl_Module *mod = dwfl_report_elf(m->dwfl, path, path, -1, 0, true);
	dwfl_report_end(m->dwfl, NULL, NULL);
	if (!mod)
		return m;
	GElf_Addr elf_bias;
	Dwarf_Addr dwarf_bias;
	m->elf = dwfl_module_getelf(mod, &elf_bias);
	if (!m->elf)
		return m;
	m->dwarf = dwfl_module_getdwarf(mod, &dwarf_bias);
	Dwarf_Off next;
	size_t header_size;
	if (!m->dwarf || dwarf_next_unit(m->dwarf, 0, &next, &header_size, NULL, NULL, NULL, NULL,
					 NULL, NULL) != 0)
		return m;
	m->usable = true;
	m->elf32 = gelf_getclass(m->elf) == ELFCLASS32;
	m->sections = read_sections(m->elf, &m->section_count);
	read_module_symbols(m->elf, &m->symbols);
	Elf *debug_elf = dwarf_getelf(m->dwarf);
	if (debug_elf) {
		const char *ident = elf_getident(debug_elf, NULL);
		m->big_endian = ident && ident[EI_DATA] == ELFDATA2MSB;
		m->debug_line = dwarf_section(debug_elf, ".debug_line", ".zdebug_line");
		m->debug_line_str = dwarf_section(debug_elf, ".debug_line_str", ".zdebug_line_str");
		m->debug_str = dwarf_section(debug_elf, ".debug_str", ".zdebug_str");
	}
	if (debug_elf && debug_elf != m->elf) {
		m->debug_elf = debug_elf;
		m->debug_sections = read_sections(debug_elf, &m->debug_section_count);
		read_symbol_table(debug_elf, SHT_SYMTAB, &m->debug_symbols);
	}
	return m;
}

static void module_free(inline_module *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->unit_count; i++) {
		line_table_free(m->units[i].lines);
		free(m->units[i].functions);
		free(m->units[i].ranges);
		free(m->units[i].lookup);
	}
	free(m->units);
	free(m->spans);
	free(m->candidates);
	free(m->sections);
	free(m->symbols.symbols);
	free(m->debug_sections);
	free(m->debug_symbols.symbols);
	if (m->dwfl)
		dwfl_end(m->dwfl);
	free(m);
}

/* ---- the Perl post-processing ------------------------------------------------------ */

struct fk_inliner {
	bool with_context;
	string_map modules; /* path -> inline_module */
	string_map results; /* module '\0' pc -> result string */
	text_buffer key;
};

fk_inliner *fk_inliner_new(bool with_context)
{
	fk_inliner *in = fk_xcalloc(1, sizeof(*in));
	in->with_context = with_context;
	map_init(&in->modules);
	map_init(&in->results);
	return in;
}

void fk_inliner_free(fk_inliner *in)
{
	if (!in)
		return;
	for (size_t i = 0; i <= in->modules.mask; i++) {
		free(in->modules.slots[i].key);
		module_free(in->modules.slots[i].value);
	}
	for (size_t i = 0; i <= in->results.mask; i++) {
		free(in->results.slots[i].key);
		free(in->results.slots[i].value);
	}
	free(in->modules.slots);
	free(in->results.slots);
	free(in->key.data);
	free(in);
}

static inline_module *module_get(fk_inliner *in, const char *path, size_t len)
{
	inline_module *m = map_get(&in->modules, path, len);
	if (m)
		return m;
	char *key = fk_xstrndup(path, len);
	m = module_open(key);
	map_put(&in->modules, key, len, m);
	return m;
}

/* Perl's /^(.+)\+0x([0-9a-f]+)$/ on rawfunc. */
static bool split_symbol_offset(const char *raw, size_t len, size_t *name_len, uint64_t *offset)
{
	size_t end = len;
	if (end > 0 && raw[end - 1] == '\n')
		end--;
	size_t digits = end;
	while (digits > 0 && ((raw[digits - 1] >= '0' && raw[digits - 1] <= '9') ||
			      (raw[digits - 1] >= 'a' && raw[digits - 1] <= 'f')))
		digits--;
	if (digits == end || digits < 4 || memcmp(raw + digits - 3, "+0x", 3) != 0)
		return false;
	*name_len = digits - 3;
	if (memchr(raw, '\n', *name_len))
		return false;
	uint64_t value = 0;
	for (size_t i = digits; i < end; i++) {
		unsigned digit = raw[i] <= '9' ? (unsigned)(raw[i] - '0') : (unsigned)(raw[i] - 'a' + 10);
		value = value > (UINT64_MAX - digit) / 16 ? UINT64_MAX : value * 16 + digit;
	}
	*offset = value;
	return true;
}

static bool is_perl_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Perl's s/ \(discriminator \S+\)// on one line (in place). */
static void strip_discriminator(char *line, size_t *len)
{
	static const char marker[] = " (discriminator ";
	const size_t marker_len = sizeof(marker) - 1;
	for (size_t at = 0; at + marker_len <= *len; at++) {
		if (memcmp(line + at, marker, marker_len) != 0)
			continue;
		size_t word = at + marker_len, word_end = word;
		while (word_end < *len && !is_perl_space(line[word_end]))
			word_end++;
		for (size_t close = word_end; close > word + 1; close--) {
			if (line[close - 1] != ')')
				continue;
			memmove(line + at, line + close, *len - close);
			*len -= close - at;
			line[*len] = '\0';
			return;
		}
	}
}

/* The Perl loop over addr2line's lines: (function, location) pairs, each unshifted as
 * "function" or "function:location", joined with ';'. */
static char *frames_from_text(const char *text, size_t len, bool with_context)
{
	char **frames = NULL;
	size_t frame_count = 0, frame_cap = 0;
	char *function = NULL; /* NULL: Perl's $one_item eq "" */
	size_t pos = 0;
	while (pos < len) {
		const char *newline = memchr(text + pos, '\n', len - pos);
		size_t line_len = newline ? (size_t)(newline - (text + pos)) : len - pos;
		char *line = fk_xstrndup(text + pos, line_len);
		pos += line_len + (newline ? 1 : 0);
		strip_discriminator(line, &line_len);
		if (!function) {
			if (line_len)
				function = line;
			else
				free(line);
			continue;
		}
		char *frame;
		if (with_context) {
			size_t function_len = strlen(function);
			frame = fk_xmalloc(function_len + 1 + line_len + 1);
			memcpy(frame, function, function_len);
			frame[function_len] = ':';
			memcpy(frame + function_len + 1, line, line_len + 1);
			free(function);
		} else {
			frame = function;
		}
		free(line);
		function = NULL;
		fk_grow((void **)&frames, sizeof(*frames), &frame_cap, frame_count + 1);
		frames[frame_count++] = frame;
	}
	free(function);

	text_buffer joined = { 0 };
	text_append(&joined, "", 0);
	for (size_t i = frame_count; i-- > 0;) {
		text_append_str(&joined, frames[i]);
		if (i > 0)
			text_append_str(&joined, ";");
		free(frames[i]);
	}
	free(frames);
	return joined.data;
}

static const char *inline_cached(fk_inliner *in, const char *pc, size_t pc_len, const char *rawfunc,
				 size_t rawfunc_len, const char *module, size_t module_len);

/* The Perl inline() body, after its cache check. */
static char *inline_compute(fk_inliner *in, const char *pc, size_t pc_len, const char *rawfunc,
			    size_t rawfunc_len, const char *module, size_t module_len)
{
	inline_module *m = module_get(in, module, module_len);
	if (!m->usable)
		return fk_xstrdup("");
	char *pc_text = fk_xstrndup(pc, pc_len);
	uint64_t addr = strtoull(pc_text, NULL, 16); /* how addr2line reads it */
	free(pc_text);
	if (m->elf32)
		addr &= 0xffffffffu;

	text_buffer text = { 0 };
	text_append(&text, "", 0);
	addr2line_text(m, addr, &text);

	size_t name_len;
	uint64_t offset, base;
	if (strstr(text.data, "??\n??:0") && split_symbol_offset(rawfunc, rawfunc_len, &name_len, &offset) &&
	    find_symbol_address(&m->symbols, rawfunc, name_len, &base)) {
		char new_pc[32];
		uint64_t target = base > UINT64_MAX - offset ? UINT64_MAX : base + offset;
		snprintf(new_pc, sizeof(new_pc), "0x%" PRIx64, target);
		free(text.data);
		return fk_xstrdup(inline_cached(in, new_pc, strlen(new_pc), "", 0, module, module_len));
	}
	char *result = frames_from_text(text.data, text.len, in->with_context);
	free(text.data);
	return result;
}

static const char *inline_cached(fk_inliner *in, const char *pc, size_t pc_len, const char *rawfunc,
				 size_t rawfunc_len, const char *module, size_t module_len)
{
	in->key.len = 0;
	text_append(&in->key, module, module_len);
	text_append(&in->key, "", 1);
	text_append(&in->key, pc, pc_len);
	const char *cached = map_get(&in->results, in->key.data, in->key.len);
	if (cached)
		return cached;
	size_t key_len = in->key.len;
	char *key = fk_xmalloc(key_len);
	memcpy(key, in->key.data, key_len);
	char *result = inline_compute(in, pc, pc_len, rawfunc, rawfunc_len, module, module_len);
	map_put(&in->results, key, key_len, result);
	return result;
}

const char *fk_inliner_lookup(fk_inliner *in, const char *pc, size_t pc_len, const char *rawfunc,
			      size_t rawfunc_len, const char *module, size_t module_len)
{
	if (!pc) {
		pc = "";
		pc_len = 0;
	}
	if (!rawfunc) {
		rawfunc = "";
		rawfunc_len = 0;
	}
	if (!module) {
		module = "";
		module_len = 0;
	}
	return inline_cached(in, pc, pc_len, rawfunc, rawfunc_len, module, module_len);
}
