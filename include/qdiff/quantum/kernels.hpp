// C-style statevector kernels. A state of n qubits is `amps`: [2^n] complex amplitudes, qubit q
// = bit q of the index. All kernels are serial (parallelism is over the batch, one state per
// thread) and do no allocation. Loops use the mask_low/mask_high bit-insertion pattern: a
// block of 2^q contiguous amplitudes with bit q = 0 is paired with the next block of 2^q.
//
// Precision: every kernel is a template over the amplitude type A = cplx (double, the default)
// or cplxf (float), instantiated for both in kernels.cpp. Gate matrices, cross matrices,
// product-state vectors and expectations stay double: a float kernel rounds its matrix once and
// accumulates its sums in float registers that are reduced into double.
#pragma once
#include <cstdint>
#include <vector>

#include "qdiff/quantum/gates.hpp"

namespace qdiff::quantum {

// ---- forward gates ------------------------------------------------------------------------
// amps <- (1 (x) .. m on qubit q .. (x) 1) amps
template <class A>
void apply_1q(A* amps, int n, int q, const Mat2& m);
// m on target t where control bit c is 1
template <class A>
void apply_controlled_1q(A* amps, int n, int c, int t, const Mat2& m);
// 4x4 m on (q0, q1), local index b_q0 + 2*b_q1; q0 != q1
template <class A>
void apply_2q(A* amps, int n, int q0, int q1, const Mat4& m);
template <class A>
void apply_cnot(A* amps, int n, int c, int t);
template <class A>
void apply_cz(A* amps, int n, int q0, int q1);
template <class A>
void apply_swap(A* amps, int n, int q0, int q1);

// A permutation of basis states that is linear over GF(2) (any product of CNOTs and SWAPs):
// the gate network maps |b> to |M b>. Stored as the inverse map split into two lookup tables,
// so that gathering is out[b] = in[lo[b & lo_mask] ^ hi[b >> lo_bits]].
struct LinearPermutation {
  int n = 0, lo_bits = 0;
  std::vector<uint64_t> lo, hi;  // [2^lo_bits], [2^(n-lo_bits)]
};
// cols[i] = M e_i (the image of basis vector i); builds the gather tables for M^-1 (if inverse
// is false) or for M itself (if inverse is true, to undo the permutation).
LinearPermutation make_linear_permutation(const std::vector<uint64_t>& cols, int n, bool inverse);
// out[M b] = in[b] (M the GF(2) matrix); out and in must not alias.
template <class A>
void apply_permutation(const LinearPermutation& p, const A* in, A* out);

// ---- product states -----------------------------------------------------------------------
// amps[b] = prod_q v[q][b_q]   v: [n][2]
template <class A>
void write_product_state(A* amps, int n, const cplx (*v)[2]);
// env[q][s] = sum_{b: b_q = s} conj(lam[b]) prod_{p != q} v[p][b_p]  for every q, in O(2^n)
// by recursive halving.   lam: [2^n], v: [n][2], env: [n][2]
template <class A>
void contract_all_but_one(const A* lam, int n, const cplx (*v)[2], cplx (*env)[2]);

// ---- adjoint sweep --------------------------------------------------------------------------
// One backward step through a gate U on qubit q (psi = U psi_a holds the state after U, lam the
// adjoint state after U). With uinv = U^dagger: psi <- uinv psi, and r[s*2+t] +=
// sum_rest psi_a[rest,s] conj(lam[rest,t]) (the 2x2 cross matrix, so that
// <lam|D|psi_a> = sum_{t,s} D[t][s] r[s][t] for any 2x2 D on qubit q), then lam <- uinv lam.
template <class A>
void backward_1q(A* psi, A* lam, int n, int q, const Mat2& uinv, Mat2& r);
// The same restricted to indices whose control bit c is 1 (controlled rotations).
template <class A>
void backward_controlled_1q(A* psi, A* lam, int n, int c, int t, const Mat2& uinv, Mat2& r);
// The same for a 4x4 gate on (q0, q1); r: [4,4].
template <class A>
void backward_2q(A* psi, A* lam, int n, int q0, int q1, const Mat4& uinv, Mat4& r);
// sum_{t,s} d[t][s] r[s][t] = <lam|D|psi_a>, real part doubled is the angle gradient.
double grad_from_cross(const Mat2& d, const Mat2& r);
double grad_from_cross(const Mat4& d, const Mat4& r);

// ---- cache-blocked layers of single-qubit gates ------------------------------------------------
// Gates on distinct qubits commute, so a layer of them can be applied in any order. Gates on the
// low kLayerBlockBits qubits run block by block (each block of 2^kLayerBlockBits contiguous
// amplitudes stays in L1); gates on higher qubits run kLayerChunkQubits at a time, in place, on
// the 2^4 rows of 2^10 amplitudes they mix (256 KiB, stays in L2). Passes over the whole state:
// 1 + ceil(h / 4) instead of one per gate (h = number of gates on qubits >= kLayerBlockBits).
constexpr int kLayerBlockBits = 10;
constexpr int kLayerChunkQubits = 4;
// mats[g] on qubits[g] for g < count (qubits distinct).
template <class A>
void apply_1q_layer(A* amps, int n, int count, const int* qubits, const Mat2* mats);
// backward_1q for every gate of a layer (uinv[g] = U_g^dagger), r[g] += cross matrix of gate g.
template <class A>
void backward_1q_layer(A* psi, A* lam, int n, int count, const int* qubits, const Mat2* uinv, Mat2* r);

// ---- readout --------------------------------------------------------------------------------
// z[q] = <Z_q> for every qubit, one pass.   z: [n]
template <class A>
void expectation_z_all(const A* amps, int n, double* z);
// lam[b] = (sum_q c[q] Z_q) psi[b] = psi[b] * sum_q c[q] (1 - 2 b_q).   c: [n]
template <class A>
void apply_z_observable(const A* psi, A* lam, int n, const double* c);
template <class A>
double norm_squared(const A* amps, int n);

}  // namespace qdiff::quantum
