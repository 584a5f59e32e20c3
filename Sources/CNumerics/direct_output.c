// Writing large page-aligned ranges of a file with O_DIRECT (no copy into the page cache).
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <unistd.h>
#include "CNumerics.h"

enum { page_bytes = 4096 };

// pwrite of all `count` bytes, in pieces of at most 1 GiB (a multiple of the page), retrying
// after signals. Returns 0 or the errno of the failure.
static int pwrite_all(int fd, const unsigned char *data, size_t count, long long offset) {
    while (count > 0) {
        size_t piece = count < ((size_t)1 << 30) ? count : ((size_t)1 << 30);
        ssize_t written = pwrite(fd, data, piece, (off_t)offset);
        if (written < 0 && errno == EINTR) continue;
        if (written <= 0) return written < 0 ? errno : EIO;
        data += written;
        count -= (size_t)written;
        offset += written;
    }
    return 0;
}

int ntkb_open_direct(const char *path) {
#if defined(O_DIRECT)
    return open(path, O_WRONLY | O_DIRECT | O_CLOEXEC);
#else
    (void)path;
    errno = EINVAL;
    return -1;
#endif
}

int ntkb_write_range(int fd, int direct_fd, const void *bytes, size_t count, long long offset) {
    const unsigned char *data = bytes;
    if (direct_fd < 0 || (uintptr_t)data % page_bytes != (uintptr_t)(offset % page_bytes)) {
        return pwrite_all(fd, data, count, offset);
    }
    size_t head = (size_t)((page_bytes - offset % page_bytes) % page_bytes);
    if (head > count) head = count;
    size_t middle = (count - head) / page_bytes * page_bytes;
    int status = pwrite_all(fd, data, head, offset);
    if (status != 0) return status;
    if (middle > 0) {
        status = pwrite_all(direct_fd, data + head, middle, offset + (long long)head);
        // A file system may refuse O_DIRECT only when writing: then through the page cache.
        if (status == EINVAL) status = pwrite_all(fd, data + head, middle, offset + (long long)head);
        if (status != 0) return status;
    }
    return pwrite_all(fd, data + head + middle, count - head - middle, offset + (long long)(head + middle));
}
