//===- GridSample.cpp - the qc.grid_sample kernel ---------------*- C++ -*-===//
#include "quantc/Runtime/GridSample.h"
#include "quantc/Runtime/Microkernels.h"

using namespace quantc::grid_sample;

extern "C" void quantc_grid_sample(const float *input, const float *grid,
                                   const int64_t *params, float *output) {
  Extents extents = {params[QC_GRID_SAMPLE_N],
                     params[QC_GRID_SAMPLE_C],
                     params[QC_GRID_SAMPLE_SPATIAL],
                     {params[QC_GRID_SAMPLE_D], params[QC_GRID_SAMPLE_H], params[QC_GRID_SAMPLE_W]},
                     {params[QC_GRID_SAMPLE_DO], params[QC_GRID_SAMPLE_HO], params[QC_GRID_SAMPLE_WO]}};
  sample(input, grid, output, extents, static_cast<Mode>(params[QC_GRID_SAMPLE_MODE]),
         static_cast<Padding>(params[QC_GRID_SAMPLE_PADDING]),
         params[QC_GRID_SAMPLE_ALIGN_CORNERS] != 0);
}
