// Netlib LAPACKE; its Fortran LAPACK calls bind to OpenBLAS at run time.
#if __has_include(<lapacke.h>)
#include <lapacke.h>
#else
#error "<lapacke.h> not found: install the system packages first with `make deps` (Debian package liblapacke-dev), or build with `make build`"
#endif
