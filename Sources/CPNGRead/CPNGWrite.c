#include "CPNGRead.h"

#include <png.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

// The output grows in memory; the error message is kept for the caller.
struct writer {
    uint8_t *data;
    size_t size;
    size_t capacity;
    char *message;
    size_t message_size;
};

static void write_message(struct writer *w, const char *text) {
    if (w->message_size == 0) {
        return;
    }
    strncpy(w->message, text ? text : "unknown libpng error", w->message_size - 1);
    w->message[w->message_size - 1] = '\0';
}

static void on_write_error(png_structp png, png_const_charp text) {
    write_message((struct writer *)png_get_error_ptr(png), text);
    png_longjmp(png, 1);
}

static void on_write_warning(png_structp png, png_const_charp text) {
    (void)png;
    (void)text;
}

static void on_write(png_structp png, png_bytep bytes, size_t count) {
    struct writer *w = (struct writer *)png_get_io_ptr(png);
    if (count > w->capacity - w->size) {
        size_t capacity = w->capacity ? w->capacity : 4096;
        while (count > capacity - w->size) {
            if (capacity > SIZE_MAX / 2) {
                png_error(png, "PNG output too large");
            }
            capacity *= 2;
        }
        uint8_t *grown = (uint8_t *)realloc(w->data, capacity);
        if (grown == NULL) {
            png_error(png, "out of memory");
        }
        w->data = grown;
        w->capacity = capacity;
    }
    memcpy(w->data + w->size, bytes, count);
    w->size += count;
}

static void on_flush(png_structp png) {
    (void)png;
}

int cpngwrite_encode(const uint8_t *pixels, uint32_t width, uint32_t height, int channels, int bit_depth,
                     size_t row_bytes, uint8_t **out, size_t *out_size, char *message, size_t message_size) {
    static const int color_types[] = {PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA, PNG_COLOR_TYPE_RGB,
                                      PNG_COLOR_TYPE_RGB_ALPHA};
    struct writer scratch = {NULL, 0, 0, message, message_size};
    *out = NULL;
    *out_size = 0;
    write_message(&scratch, "");
    if (channels < 1 || channels > 4 || (bit_depth != 8 && bit_depth != 16) || width == 0 || height == 0 ||
        row_bytes < (size_t)width * (size_t)channels * (size_t)(bit_depth / 8)) {
        write_message(&scratch, "invalid image layout");
        return 1;
    }
    // The state the write callbacks change lives on the heap: a local changed between setjmp
    // and longjmp would be indeterminate after the jump.
    struct writer *w = (struct writer *)malloc(sizeof *w);
    png_bytep *rows = (png_bytep *)malloc((size_t)height * sizeof(png_bytep));
    if (w == NULL || rows == NULL) {
        free(w);
        free(rows);
        write_message(&scratch, "out of memory");
        return 1;
    }
    *w = scratch;
    for (uint32_t y = 0; y < height; y++) {
        rows[y] = (png_bytep)(pixels + (size_t)y * row_bytes);
    }
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, w, on_write_error, on_write_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (info == NULL) {
        png_destroy_write_struct(&png, NULL);
        write_message(w, "libpng could not be initialised");
        free(rows);
        free(w);
        return 1;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        free(rows);
        free(w->data);
        free(w);
        return 1;
    }
    png_set_write_fn(png, w, on_write, on_flush);
    png_set_IHDR(png, info, width, height, bit_depth, color_types[channels - 1], PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    // Samples are written as given, as the 8-bit writer (libpng's simplified API) writes them,
    // and marked sRGB as it marks them.
    png_set_sRGB(png, info, PNG_sRGB_INTENT_PERCEPTUAL);
    png_set_rows(png, info, rows);
    // 16-bit samples arrive big-endian, as PNG stores them: no transform.
    png_write_png(png, info, PNG_TRANSFORM_IDENTITY, NULL);
    png_destroy_write_struct(&png, &info);
    free(rows);
    *out = w->data;
    *out_size = w->size;
    free(w);
    return 0;
}

void cpngwrite_free(uint8_t *buffer) {
    free(buffer);
}
