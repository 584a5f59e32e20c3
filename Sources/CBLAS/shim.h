// OpenBLAS's CBLAS interface. Debian resolves <cblas.h> to OpenBLAS through the
// alternatives system; never include GSL's gsl_cblas.h beside it (the enum types clash).
#if __has_include(<cblas.h>)
#include <cblas.h>
#else
#error "<cblas.h> not found: install the system packages first with `make deps` (Debian package libopenblas-dev), or build with `make build`"
#endif
