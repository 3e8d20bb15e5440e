#include "CPNGRead.h"

#include <png.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

// Ancillary chunks (text, ICC profiles) may be zlib-compressed; cap what libpng will inflate
// for one of them so a small hostile file cannot ask for a huge buffer.
#define CPNGREAD_CHUNK_MALLOC_MAX (8u * 1024u * 1024u)

struct cpngread_decoder {
    png_structp png;
    png_infop info;
    const uint8_t *data;
    size_t size;
    size_t offset;
    png_bytep *rows;   // owned here so an error midway cannot leak it
    int header_read;
    int started;
    char message[256];
};

static void set_message(cpngread_decoder *d, const char *text) {
    strncpy(d->message, text ? text : "unknown libpng error", sizeof d->message - 1);
    d->message[sizeof d->message - 1] = '\0';
}

static void on_error(png_structp png, png_const_charp text) {
    cpngread_decoder *d = (cpngread_decoder *)png_get_error_ptr(png);
    set_message(d, text);
    png_longjmp(png, 1);
}

// Warnings (bad ancillary CRCs, unknown sRGB profiles...) do not stop decoding; keep stderr quiet.
static void on_warning(png_structp png, png_const_charp text) {
    (void)png;
    (void)text;
}

static void on_read(png_structp png, png_bytep out, size_t count) {
    cpngread_decoder *d = (cpngread_decoder *)png_get_io_ptr(png);
    if (count > d->size - d->offset) {
        png_error(png, "unexpected end of PNG data");
    }
    memcpy(out, d->data + d->offset, count);
    d->offset += count;
}

cpngread_decoder *cpngread_create(const uint8_t *data, size_t size) {
    cpngread_decoder *d = (cpngread_decoder *)calloc(1, sizeof *d);
    if (d == NULL) {
        return NULL;
    }
    d->data = data;
    d->size = size;
    d->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, d, on_error, on_warning);
    if (d->png == NULL) {
        free(d);
        return NULL;
    }
    d->info = png_create_info_struct(d->png);
    if (d->info == NULL) {
        png_destroy_read_struct(&d->png, NULL, NULL);
        free(d);
        return NULL;
    }
    png_set_read_fn(d->png, d, on_read);
    png_set_chunk_malloc_max(d->png, CPNGREAD_CHUNK_MALLOC_MAX);
    return d;
}

void cpngread_destroy(cpngread_decoder *d) {
    if (d == NULL) {
        return;
    }
    png_destroy_read_struct(&d->png, &d->info, NULL);
    free(d->rows);
    free(d);
}

const char *cpngread_message(const cpngread_decoder *d) {
    return d->message;
}

int cpngread_read_header(cpngread_decoder *d, uint32_t *width, uint32_t *height) {
    if (d->header_read) {
        set_message(d, "header already read");
        return 1;
    }
    if (setjmp(png_jmpbuf(d->png))) {
        return 1;
    }
    png_read_info(d->png, d->info);
    d->header_read = 1;
    *width = png_get_image_width(d->png, d->info);
    *height = png_get_image_height(d->png, d->info);
    return 0;
}

int cpngread_start_image(cpngread_decoder *d, int *channels, int *bit_depth, size_t *row_bytes) {
    if (!d->header_read || d->started) {
        set_message(d, "cpngread_start_image called out of order");
        return 1;
    }
    if (setjmp(png_jmpbuf(d->png))) {
        return 1;
    }
    png_structp png = d->png;
    png_infop info = d->info;
    int color_type = png_get_color_type(png, info);
    if (color_type == PNG_COLOR_TYPE_PALETTE) {
        png_set_palette_to_rgb(png);
    }
    if (color_type == PNG_COLOR_TYPE_GRAY && png_get_bit_depth(png, info) < 8) {
        png_set_expand_gray_1_2_4_to_8(png);
    }
    if (png_get_valid(png, info, PNG_INFO_tRNS)) {
        png_set_tRNS_to_alpha(png);
    }
    // No png_set_gamma / png_set_alpha_mode: samples stay exactly as stored.
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    d->started = 1;
    *channels = png_get_channels(png, info);
    *bit_depth = png_get_bit_depth(png, info);
    *row_bytes = png_get_rowbytes(png, info);
    return 0;
}

int cpngread_read_image(cpngread_decoder *d, uint8_t *pixels, size_t row_bytes) {
    if (!d->started || d->rows != NULL) {
        set_message(d, "cpngread_read_image called out of order");
        return 1;
    }
    png_uint_32 height = png_get_image_height(d->png, d->info);
    if (row_bytes < png_get_rowbytes(d->png, d->info)) {
        set_message(d, "row buffer too small");
        return 1;
    }
    d->rows = (png_bytep *)malloc((size_t)height * sizeof(png_bytep));
    if (d->rows == NULL) {
        set_message(d, "out of memory");
        return 1;
    }
    for (png_uint_32 y = 0; y < height; y++) {
        d->rows[y] = pixels + (size_t)y * row_bytes;
    }
    if (setjmp(png_jmpbuf(d->png))) {
        return 1;
    }
    png_read_image(d->png, d->rows);
    // Reading to IEND makes a file cut short after its pixel data an error, not a silent success.
    png_read_end(d->png, NULL);
    return 0;
}
