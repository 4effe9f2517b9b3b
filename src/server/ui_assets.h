/* ui_assets.h: the web UI of `flamekit serve` (src/server/ui/: index.html, app.js,
 * app.css), embedded in the binary at build time by scripts/embed-assets.sh (the Makefile
 * writes $(BUILD)/gen/ui_assets.c). Each array holds the file's bytes followed by a NUL;
 * the length excludes the NUL. */
#ifndef FK_UI_ASSETS_H
#define FK_UI_ASSETS_H

#include <stddef.h>

extern const char fk_index_html[];
extern const size_t fk_index_html_len;
extern const char fk_app_js[];
extern const size_t fk_app_js_len;
extern const char fk_app_css[];
extern const size_t fk_app_css_len;

#endif
