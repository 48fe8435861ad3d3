// The layers of the U-Net, each a forward/backward pair (llm.c style), NCHW, templated on the
// scalar (float for training, double for the finite-difference gradient checks). One header per
// concern, all included here:
//   ops.hpp         parameter-free ops: activations, residual add, timestep embedding, pooling,
//                   concat, channel scale, broadcast add
//   linear.hpp      Linear
//   conv.hpp        Conv2d, ConvTranspose2d, im2col / col2im
//   group_norm.hpp  GroupNorm
//   res_block.hpp   ResBlock (paper and large forms)
//
// Conventions:
//  - forward writes its output; backward WRITES the input gradient (dx) and ADDS into parameter
//    gradients (the registry's flat grad buffer). One zero_grad per step.
//  - dx may be nullptr when the input gradient is not needed.
//  - Caches are explicit: what backward needs is either an argument (x, y) or stored in the
//    layer (GroupNorm's mean/rstd). Scratch is grow-only (no allocation once sizes are stable).
//  - Loops over whole activations and batches run on the OpenMP threads.
#pragma once

#include "qdiff/nn/conv.hpp"
#include "qdiff/nn/group_norm.hpp"
#include "qdiff/nn/linear.hpp"
#include "qdiff/nn/ops.hpp"
#include "qdiff/nn/res_block.hpp"
