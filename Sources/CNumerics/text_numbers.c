// Numeric text files: the byte scanner of the CSV reader (see text_numbers in CNumerics.h).
#define _GNU_SOURCE
#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "CNumerics.h"

static locale_t c_locale;

__attribute__((constructor)) static void make_c_locale(void) {
    c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
}

static inline int is_blank(unsigned char c) { return c == ' ' || c == '\t'; }
static inline int is_eol(unsigned char c) { return c == '\n' || c == '\r'; }
static inline int is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
static inline int ends_token(unsigned char c) { return c == ',' || is_blank(c) || is_eol(c); }

/// Exact powers of ten (all representable in a double).
static const double exact_powers[23] = {
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

static int equals_word(const unsigned char *p, const unsigned char *end, const char *word) {
    size_t n = strlen(word);
    if ((size_t)(end - p) != n) return 0;
    for (size_t k = 0; k < n; k++) {
        unsigned char c = p[k];
        if (c >= 'A' && c <= 'Z') c = (unsigned char)(c - 'A' + 'a');
        if (c != (unsigned char)word[k]) return 0;
    }
    return 1;
}

/// Parses the token [p, end) as a decimal number. Returns NTKB_TEXT_OK with *value set, or an error
/// code with *stop = where the decimal grammar ended (for NTKB_TEXT_BAD_SEPARATOR).
static int parse_token(const unsigned char *p, const unsigned char *end, double *value, const unsigned char **stop) {
    const unsigned char *q = p;
    int negative = 0;
    if (q < end && (*q == '+' || *q == '-')) { negative = *q == '-'; q++; }
    if (equals_word(q, end, "nan") || equals_word(q, end, "inf") || equals_word(q, end, "infinity")) {
        return NTKB_TEXT_NON_FINITE;
    }
    uint64_t mantissa = 0;
    int digits = 0, significant = 0, exponent = 0, exact = 1;
    int seen_digit = 0;
    while (q < end && is_digit(*q)) {
        seen_digit = 1;
        if (significant || *q != '0') {
            if (significant < 19) mantissa = mantissa * 10 + (uint64_t)(*q - '0');
            else { exponent++; if (*q != '0') exact = 0; }
            significant++;
        }
        digits++; q++;
    }
    if (q < end && *q == '.') {
        q++;
        while (q < end && is_digit(*q)) {
            seen_digit = 1;
            if (significant || *q != '0') {
                if (significant < 19) { mantissa = mantissa * 10 + (uint64_t)(*q - '0'); exponent--; }
                else if (*q != '0') exact = 0;
                significant++;
            } else {
                exponent--;
            }
            digits++; q++;
        }
    }
    if (!seen_digit) { *stop = p; return NTKB_TEXT_NOT_A_NUMBER; }
    if (q < end && (*q == 'e' || *q == 'E')) {
        const unsigned char *e = q + 1;
        int exponent_negative = 0;
        if (e < end && (*e == '+' || *e == '-')) { exponent_negative = *e == '-'; e++; }
        if (e < end && is_digit(*e)) {
            long written = 0;
            while (e < end && is_digit(*e)) {
                if (written < 100000) written = written * 10 + (*e - '0');
                e++;
            }
            exponent += (int)(exponent_negative ? -written : written);
            q = e;
        } else {
            *stop = q;
            return NTKB_TEXT_BAD_SEPARATOR;
        }
    }
    if (q != end) { *stop = q; return NTKB_TEXT_BAD_SEPARATOR; }
    (void)digits;
    double result;
    // Clinger's fast path: an exact mantissa below 2^53 times an exact power of ten is one
    // correctly rounded operation.
    if (exact && mantissa < (UINT64_C(1) << 53) && exponent >= -22 && exponent <= 22) {
        double m = (double)mantissa;
        result = exponent >= 0 ? m * exact_powers[exponent] : m / exact_powers[-exponent];
        if (negative) result = -result;
    } else if (mantissa == 0 && exact) {
        result = negative ? -0.0 : 0.0;
    } else {
        // glibc's strtod is correctly rounded; the token ends at a byte it does not accept
        // (a separator, a line end, or the terminating zero the caller guarantees).
        result = strtod_l((const char *)p, NULL, c_locale);
    }
    if (!isfinite(result)) return NTKB_TEXT_NON_FINITE;
    *value = result;
    return NTKB_TEXT_OK;
}

/// Parses one data line starting at p (first byte not blank, not '#', not a line end) up to eol.
/// Stores at most `columns` values in `out` (if not NULL); returns the number of values found,
/// or sets *error and returns SIZE_MAX.
static size_t parse_line(const unsigned char *text, const unsigned char *p, const unsigned char *eol,
                         size_t columns, double *out, ntkb_text_error *error) {
    size_t column = 0;
    for (;;) {
        if (*p == '#') break;   // a trailing comment
        const unsigned char *token = p;
        while (p < eol && !ends_token(*p)) p++;
        double value = 0;
        const unsigned char *stop = token;
        int code = token == p ? NTKB_TEXT_NOT_A_NUMBER : parse_token(token, p, &value, &stop);
        if (code == NTKB_TEXT_BAD_SEPARATOR && stop == token) code = NTKB_TEXT_NOT_A_NUMBER;
        if (code != NTKB_TEXT_OK) {
            error->code = code;
            error->offset = (size_t)((code == NTKB_TEXT_BAD_SEPARATOR ? stop : token) - text);
            error->length = (size_t)(p - token);
            error->token_offset = (size_t)(token - text);
            error->column = column + 1;
            return SIZE_MAX;
        }
        if (out && column < columns) out[column] = value;
        column++;
        while (p < eol && is_blank(*p)) p++;
        if (p >= eol) break;
        if (*p == ',') {
            p++;
            while (p < eol && is_blank(*p)) p++;
            if (p >= eol || *p == ',') {   // an empty cell
                error->code = NTKB_TEXT_NOT_A_NUMBER;
                error->offset = error->token_offset = (size_t)(p - text);
                error->length = 0;
                error->column = column + 1;
                return SIZE_MAX;
            }
        }
    }
    return column;
}

/// The end of the line starting at p (the first line-end byte, or end).
static inline const unsigned char *line_end(const unsigned char *p, const unsigned char *end) {
    while (p < end && !is_eol(*p)) p++;
    return p;
}

/// The start of the next line after the line end at p.
static inline const unsigned char *next_line(const unsigned char *p, const unsigned char *end) {
    if (p < end && *p == '\r') p++;
    else if (p < end) return p + 1;
    if (p < end && *p == '\n') p++;
    return p;
}

size_t ntkb_text_line_boundary(const unsigned char *text, size_t length, size_t position) {
    if (position == 0) return 0;
    if (position >= length) return length;
    // A position just after a line end is already a line start (unless it splits "\r\n").
    if (is_eol(text[position - 1]) && !(text[position - 1] == '\r' && text[position] == '\n')) return position;
    const unsigned char *end = text + length;
    return (size_t)(next_line(line_end(text + position, end), end) - text);
}

/// Validates the UTF-8 sequence at p (a byte ≥ 0x80); returns its length or 0 if invalid.
static size_t utf8_sequence(const unsigned char *p, const unsigned char *end) {
    unsigned char c = p[0];
    size_t n;
    uint32_t min;
    if (c >= 0xC2 && c <= 0xDF) { n = 2; min = 0x80; }
    else if (c >= 0xE0 && c <= 0xEF) { n = 3; min = 0x800; }
    else if (c >= 0xF0 && c <= 0xF4) { n = 4; min = 0x10000; }
    else return 0;
    if ((size_t)(end - p) < n) return 0;
    uint32_t code = c & (0x7F >> n);
    for (size_t k = 1; k < n; k++) {
        if ((p[k] & 0xC0) != 0x80) return 0;
        code = (code << 6) | (p[k] & 0x3F);
    }
    if (code < min || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return 0;
    return n;
}

size_t ntkb_utf8_invalid_offset(const unsigned char *text, size_t begin, size_t end) {
    const unsigned char *p = text + begin, *stop = text + end;
    while (p < stop) {
        // Eight ASCII bytes at a time.
        while (stop - p >= 8) {
            uint64_t word;
            memcpy(&word, p, 8);
            if (word & UINT64_C(0x8080808080808080)) break;
            p += 8;
        }
        if (p >= stop) break;
        if (*p < 0x80) { p++; continue; }
        size_t n = utf8_sequence(p, stop);
        if (n == 0) return (size_t)(p - text);
        p += n;
    }
    return SIZE_MAX;
}

size_t ntkb_text_count_data_lines(const unsigned char *text, size_t begin, size_t end) {
    const unsigned char *p = text + begin, *stop = text + end;
    size_t count = 0;
    while (p < stop) {
        const unsigned char *q = p;
        while (q < stop && is_blank(*q)) q++;
        if (q < stop && !is_eol(*q) && *q != '#') count++;
        const unsigned char *eol = q;
        // memchr-style search for the line end.
        while (eol < stop && !is_eol(*eol)) eol++;
        p = next_line(eol, stop);
    }
    return count;
}

size_t ntkb_text_first_row_width(const unsigned char *text, size_t length, ntkb_text_error *error) {
    const unsigned char *p = text, *stop = text + length;
    while (p < stop) {
        const unsigned char *q = p;
        while (q < stop && is_blank(*q)) q++;
        const unsigned char *eol = line_end(q, stop);
        if (q < stop && !is_eol(*q) && *q != '#') return parse_line(text, q, eol, 0, NULL, error);
        p = next_line(eol, stop);
    }
    return 0;
}

size_t ntkb_text_parse_rows(const unsigned char *text, size_t begin, size_t end, size_t columns,
                            double *out, size_t rows, ntkb_text_error *error) {
    const unsigned char *p = text + begin, *stop = text + end;
    size_t row = 0;
    while (p < stop) {
        const unsigned char *q = p;
        while (q < stop && is_blank(*q)) q++;
        const unsigned char *eol = line_end(q, stop);
        if (q < stop && !is_eol(*q) && *q != '#') {
            if (row >= rows) {
                error->code = NTKB_TEXT_TOO_MANY_ROWS;
                error->offset = error->token_offset = (size_t)(q - text);
                return row;
            }
            size_t found = parse_line(text, q, eol, columns, out + row * columns, error);
            if (found == SIZE_MAX) return row;
            if (found != columns) {
                error->code = NTKB_TEXT_RAGGED;
                error->offset = error->token_offset = (size_t)(q - text);
                error->column = found;
                return row;
            }
            row++;
        }
        p = next_line(eol, stop);
    }
    error->code = NTKB_TEXT_OK;
    return row;
}

size_t ntkb_text_line_number(const unsigned char *text, size_t offset) {
    size_t line = 1;
    for (size_t k = 0; k < offset; k++) {
        if (text[k] == '\n') line++;
        else if (text[k] == '\r' && text[k + 1] != '\n') line++;   // offset never points at a '\n'
    }
    return line;
}

int ntkb_text_parse_number(const unsigned char *begin, const unsigned char *end, double *value) {
    const unsigned char *stop = begin;
    if (begin == end) return NTKB_TEXT_NOT_A_NUMBER;
    return parse_token(begin, end, value, &stop);
}
