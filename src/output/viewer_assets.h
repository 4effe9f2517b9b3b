/* viewer_assets.h: the flame graph viewer's JavaScript and CSS (src/output/viewer/),
 * embedded in the binary at build time by scripts/embed-assets.sh (the Makefile writes
 * $(BUILD)/gen/viewer_assets.c). Each array holds the file's bytes followed by a NUL;
 * the length excludes the NUL. */
#ifndef FK_VIEWER_ASSETS_H
#define FK_VIEWER_ASSETS_H

#include <stddef.h>

extern const char fk_viewer_js[];
extern const size_t fk_viewer_js_len;
extern const char fk_viewer_css[];
extern const size_t fk_viewer_css_len;

#endif
