// A small C face of OpenMPI and ScaLAPACK for Swift: mpi.h's handles (MPI_COMM_WORLD, MPI_DOUBLE,
// …) are macros that do not import, so every call goes through a function here on
// MPI_COMM_WORLD. ScaLAPACK and BLACS ship no header in Debian; their prototypes are below.
#ifndef NTK_CMPI_H
#define NTK_CMPI_H

#include <stdint.h>

int ntk_mpi_init(void);
int ntk_mpi_finalize(void);
int ntk_mpi_rank(void);
int ntk_mpi_size(void);
void ntk_mpi_barrier(void);
void ntk_mpi_abort(int code);
/// Sums `count` doubles over all ranks, in place on every rank.
int ntk_mpi_allreduce_sum(double *values, long count);
/// The minimum of a 64-bit integer over all ranks.
long long ntk_mpi_allreduce_min_long(long long value);
/// The maximum of an int over all ranks.
int ntk_mpi_allreduce_max_int(int value);
/// Broadcasts `count` bytes from `root`.
int ntk_mpi_bcast_bytes(void *buffer, long count, int root);
/// Sums `count` doubles over all ranks into `root`'s `values` (other ranks' values are unchanged).
int ntk_mpi_reduce_sum(double *values, long count, int root);
/// Gathers each rank's `count` doubles into `root`'s `gathered`, rank r's at `displacements[r]`
/// (`counts`, `displacements` and `gathered` are read on the root only).
int ntk_mpi_gather(const double *local, int count, double *gathered, const int *counts, const int *displacements, int root);
/// Collective (every rank calls it): writes each rank's share `local` (row-major, local rows ×
/// local columns) of a rows × columns row-major matrix of doubles, distributed block-cyclically
/// in blocks of `block` × `block` over a gridRows × gridColumns row-major process grid (this
/// rank at `gridRank`), into the existing file `path` starting `offset` bytes in (MPI-IO,
/// MPI_Type_create_darray file view, one collective write). `local` holds the bytes to store
/// (little-endian doubles). Returns MPI_SUCCESS or an MPI error code; `message` (length
/// `capacity`) gets the error text.
int ntk_mpi_write_block_cyclic(const char *path, long long offset, const double *local, long long localCount,
                               int rows, int columns, int block, int gridRows, int gridColumns, int gridRank,
                               char *message, int capacity);

// BLACS (C interface) and ScaLAPACK (Fortran interface).
void Cblacs_pinfo(int *rank, int *count);
void Cblacs_get(int context, int what, int *value);
void Cblacs_gridinit(int *context, const char *order, int rows, int columns);
void Cblacs_gridinfo(int context, int *rows, int *columns, int *row, int *column);
void Cblacs_gridexit(int context);
int numroc_(const int *n, const int *nb, const int *iproc, const int *isrcproc, const int *nprocs);
void descinit_(int *desc, const int *m, const int *n, const int *mb, const int *nb, const int *irsrc, const int *icsrc,
               const int *ictxt, const int *lld, int *info);
void pdpotrf_(const char *uplo, const int *n, double *a, const int *ia, const int *ja, const int *desca, int *info);
void pdpotrs_(const char *uplo, const int *n, const int *nrhs, const double *a, const int *ia, const int *ja,
              const int *desca, double *b, const int *ib, const int *jb, const int *descb, int *info);
double pdlansy_(const char *norm, const char *uplo, const int *n, const double *a, const int *ia, const int *ja,
                const int *desca, double *work);
void pdpocon_(const char *uplo, const int *n, const double *a, const int *ia, const int *ja, const int *desca,
              const double *anorm, double *rcond, double *work, const int *lwork, int *iwork, const int *liwork, int *info);
void pdsyevd_(const char *jobz, const char *uplo, const int *n, double *a, const int *ia, const int *ja, const int *desca,
              double *w, double *z, const int *iz, const int *jz, const int *descz, double *work, const int *lwork,
              int *iwork, const int *liwork, int *info);
void pdgemm_(const char *transa, const char *transb, const int *m, const int *n, const int *k, const double *alpha,
             const double *a, const int *ia, const int *ja, const int *desca, const double *b, const int *ib,
             const int *jb, const int *descb, const double *beta, double *c, const int *ic, const int *jc,
             const int *descc);

#endif
