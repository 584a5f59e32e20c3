// OpenBLAS's CBLAS interface. Debian resolves <cblas.h> to OpenBLAS through the
// alternatives system; never include GSL's gsl_cblas.h beside it (the enum types clash).
#include <cblas.h>
