// Classic-libpng PNG reader and writer with C-side error handling.
//
// libpng's classic API reports errors with longjmp, which Swift code cannot survive, and its
// simplified API (png_image_*) cannot pass 16-bit samples through unchanged: it applies gamma
// to them and premultiplies alpha, reading or writing. This small reader and writer keep the
// setjmp in C and hand Swift plain status codes, so samples come out exactly as stored in the
// file, and go in exactly as given.
#ifndef CPNGREAD_H
#define CPNGREAD_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cpngread_decoder cpngread_decoder;

/// Creates a decoder over `size` bytes at `data`. The bytes are not copied: they must stay
/// valid and unchanged until cpngread_destroy. Returns NULL if memory is exhausted.
cpngread_decoder *cpngread_create(const uint8_t *data, size_t size);

/// Releases everything the decoder owns. Accepts NULL.
void cpngread_destroy(cpngread_decoder *decoder);

/// Reads the chunks up to the image data and reports the stored dimensions.
/// Nothing proportional to the image size is allocated yet, so the caller can check limits first.
/// Returns 0 on success, nonzero on error (see cpngread_message).
int cpngread_read_header(cpngread_decoder *decoder, uint32_t *width, uint32_t *height);

/// Sets up the output layout: palette and bit depths below 8 expanded to 8 bits, tRNS turned into
/// an alpha channel, 16-bit kept as big-endian 16-bit, interlacing undone, no gamma correction.
/// Must follow a successful cpngread_read_header. Returns 0 on success.
int cpngread_start_image(cpngread_decoder *decoder, int *channels, int *bit_depth, size_t *row_bytes);

/// Decodes all rows into `pixels` (`row_bytes` per row, height rows, top row first), then reads
/// the chunks after the image data up to IEND. Returns 0 on success.
int cpngread_read_image(cpngread_decoder *decoder, uint8_t *pixels, size_t row_bytes);

/// The last error message; never NULL, empty when there was none.
const char *cpngread_message(const cpngread_decoder *decoder);

/// Encodes `height` rows of `row_bytes` at `pixels` (`width` pixels of `channels` samples: 1 gray,
/// 2 gray+alpha, 3 RGB, 4 RGBA; `bit_depth` 8 or 16, 16-bit samples big-endian) as a
/// non-interlaced PNG marked sRGB, samples unchanged. On success returns 0 and sets `*out` to a
/// buffer of `*out_size` bytes, to be released with cpngwrite_free. On error returns nonzero,
/// leaves `*out` NULL and puts a message in `message` (`message_size` bytes, NUL-terminated).
int cpngwrite_encode(const uint8_t *pixels, uint32_t width, uint32_t height, int channels, int bit_depth,
                     size_t row_bytes, uint8_t **out, size_t *out_size, char *message, size_t message_size);

/// Releases a buffer from cpngwrite_encode. Accepts NULL.
void cpngwrite_free(uint8_t *buffer);

#ifdef __cplusplus
}
#endif

#endif
