#include "CMPI.h"
#include <mpi.h>
#include <limits.h>

int ntk_mpi_init(void) {
    int initialized = 0;
    MPI_Initialized(&initialized);
    if (initialized) return MPI_SUCCESS;
    return MPI_Init(NULL, NULL);
}

int ntk_mpi_finalize(void) { return MPI_Finalize(); }

int ntk_mpi_rank(void) {
    int rank = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    return rank;
}

int ntk_mpi_size(void) {
    int size = 1;
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    return size;
}

void ntk_mpi_barrier(void) { MPI_Barrier(MPI_COMM_WORLD); }

void ntk_mpi_abort(int code) { MPI_Abort(MPI_COMM_WORLD, code); }

int ntk_mpi_allreduce_sum(double *values, long count) {
    // In pieces of at most INT_MAX elements (MPI counts are int).
    for (long start = 0; start < count; start += INT_MAX) {
        long piece = count - start < INT_MAX ? count - start : INT_MAX;
        int status = MPI_Allreduce(MPI_IN_PLACE, values + start, (int)piece, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
        if (status != MPI_SUCCESS) return status;
    }
    return MPI_SUCCESS;
}

int ntk_mpi_allreduce_max_int(int value) {
    int result = value;
    MPI_Allreduce(&value, &result, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    return result;
}

int ntk_mpi_bcast_bytes(void *buffer, long count, int root) {
    for (long start = 0; start < count; start += INT_MAX) {
        long piece = count - start < INT_MAX ? count - start : INT_MAX;
        int status = MPI_Bcast((char *)buffer + start, (int)piece, MPI_BYTE, root, MPI_COMM_WORLD);
        if (status != MPI_SUCCESS) return status;
    }
    return MPI_SUCCESS;
}
