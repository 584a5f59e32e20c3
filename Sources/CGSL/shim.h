// Only the GSL headers the toolkit uses. Linking "gsl" alone (not gslcblas) keeps
// cblas_dgemm bound to OpenBLAS.
#if __has_include(<gsl/gsl_integration.h>)
#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>
#else
#error "<gsl/gsl_integration.h> not found: install the system packages first with `make deps` (Debian package libgsl-dev), or build with `make build`"
#endif

/// GSL's Gauss–Hermite rule type. GSL exports it as a mutable global, which Swift 6
/// refuses to read; this accessor returns it.
static inline const gsl_integration_fixed_type *ntkbridge_gsl_hermite_rule(void) {
    return gsl_integration_fixed_hermite;
}
