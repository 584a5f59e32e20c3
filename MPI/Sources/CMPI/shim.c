#include "CMPI.h"
#include <mpi.h>
#include <limits.h>
#include <stdio.h>

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

int ntk_mpi_reduce_sum(double *values, long count, int root) {
    int rank = ntk_mpi_rank();
    for (long start = 0; start < count; start += INT_MAX) {
        long piece = count - start < INT_MAX ? count - start : INT_MAX;
        int status = rank == root
            ? MPI_Reduce(MPI_IN_PLACE, values + start, (int)piece, MPI_DOUBLE, MPI_SUM, root, MPI_COMM_WORLD)
            : MPI_Reduce(values + start, NULL, (int)piece, MPI_DOUBLE, MPI_SUM, root, MPI_COMM_WORLD);
        if (status != MPI_SUCCESS) return status;
    }
    return MPI_SUCCESS;
}

static int describe(int status, char *message, int capacity) {
    if (status != MPI_SUCCESS && message && capacity > 0) {
        int length = 0;
        MPI_Error_string(status, message, &length);
        message[length < capacity ? length : capacity - 1] = 0;
    }
    return status;
}

int ntk_mpi_write_block_cyclic(const char *path, long long offset, const double *local, long long localCount,
                               int rows, int columns, int block, int gridRows, int gridColumns, int gridRank,
                               char *message, int capacity) {
    if (localCount > INT_MAX) {
        if (message && capacity > 0) snprintf(message, capacity, "a process holds more than 2^31 elements of one matrix: use more processes");
        return MPI_ERR_COUNT;
    }
    MPI_File file;
    MPI_File_set_errhandler(MPI_FILE_NULL, MPI_ERRORS_RETURN);
    int status = MPI_File_open(MPI_COMM_WORLD, path, MPI_MODE_WRONLY, MPI_INFO_NULL, &file);
    if (status != MPI_SUCCESS) return describe(status, message, capacity);
    int sizes[2] = {rows, columns};
    int distributions[2] = {MPI_DISTRIBUTE_CYCLIC, MPI_DISTRIBUTE_CYCLIC};
    int blocks[2] = {block, block};
    int grid[2] = {gridRows, gridColumns};
    MPI_Datatype view = MPI_DATATYPE_NULL;
    status = MPI_Type_create_darray(gridRows * gridColumns, gridRank, 2, sizes, distributions, blocks, grid, MPI_ORDER_C,
                                    MPI_DOUBLE, &view);
    if (status == MPI_SUCCESS) status = MPI_Type_commit(&view);
    if (status == MPI_SUCCESS) status = MPI_File_set_view(file, (MPI_Offset)offset, MPI_DOUBLE, view, "native", MPI_INFO_NULL);
    if (status == MPI_SUCCESS) {
        MPI_Status written;
        status = MPI_File_write_all(file, local, (int)localCount, MPI_DOUBLE, &written);
    }
    if (status == MPI_SUCCESS) status = MPI_File_sync(file);
    if (view != MPI_DATATYPE_NULL) MPI_Type_free(&view);
    int closed = MPI_File_close(&file);
    return describe(status != MPI_SUCCESS ? status : closed, message, capacity);
}

int ntk_mpi_gather(const double *local, int count, double *gathered, const int *counts, const int *displacements, int root) {
    return MPI_Gatherv(local, count, MPI_DOUBLE, gathered, counts, displacements, MPI_DOUBLE, root, MPI_COMM_WORLD);
}

long long ntk_mpi_allreduce_min_long(long long value) {
    long long result = value;
    MPI_Allreduce(&value, &result, 1, MPI_LONG_LONG, MPI_MIN, MPI_COMM_WORLD);
    return result;
}
