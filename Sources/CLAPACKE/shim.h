// Netlib LAPACKE; its Fortran LAPACK calls bind to OpenBLAS at run time.
#include <lapacke.h>
