//===- MemrefCopy.cpp - strided copies of lowered memref.copy ---*- C++ -*-===//
//
// finalize-memref-to-llvm lowers a memref.copy between non-contiguous views
// (padding, concatenation) to a call of `memrefCopy` on unranked descriptors;
// artifacts get it from here rather than from MLIR's runner libraries.
//
//===----------------------------------------------------------------------===//
#include <cstdint>
#include <cstring>

namespace {
struct UnrankedDescriptor {
  int64_t rank;
  void *descriptor;
};

/// { allocated, aligned, offset, sizes[rank], strides[rank] }
struct View {
  char *base;
  const int64_t *sizes, *strides;

  View(const UnrankedDescriptor &d, int64_t elementSize) {
    auto *fields = static_cast<int64_t *>(d.descriptor);
    char *aligned = reinterpret_cast<char *>(fields[1]);
    base = aligned + fields[2] * elementSize;
    sizes = fields + 3;
    strides = fields + 3 + d.rank;
  }
};

void copyDim(const View &src, const View &dst, int64_t rank, int64_t dim,
             int64_t elementSize, int64_t srcOffset, int64_t dstOffset) {
  if (dim == rank) {
    std::memcpy(dst.base + dstOffset * elementSize,
                src.base + srcOffset * elementSize, elementSize);
    return;
  }
  // A unit-stride innermost dimension on both sides is one contiguous run.
  if (dim == rank - 1 && src.strides[dim] == 1 && dst.strides[dim] == 1) {
    std::memcpy(dst.base + dstOffset * elementSize,
                src.base + srcOffset * elementSize, src.sizes[dim] * elementSize);
    return;
  }
  for (int64_t i = 0; i < src.sizes[dim]; ++i)
    copyDim(src, dst, rank, dim + 1, elementSize,
            srcOffset + i * src.strides[dim], dstOffset + i * dst.strides[dim]);
}
} // namespace

extern "C" void memrefCopy(int64_t elementSize, UnrankedDescriptor *source,
                           UnrankedDescriptor *target) {
  View src(*source, elementSize), dst(*target, elementSize);
  if (source->rank == 0) {
    std::memcpy(dst.base, src.base, elementSize);
    return;
  }
  copyDim(src, dst, source->rank, 0, elementSize, 0, 0);
}
