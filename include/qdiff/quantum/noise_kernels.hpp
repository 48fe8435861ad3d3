// Kernels of the noisy simulators, in double. Like kernels.hpp they are serial, allocation-free
// and C-style.
//
// Density matrices: rho of n qubits is stored vectorised as a 2n-qubit "state" of [4^n] complex
// numbers, rho[i][j] at index i + 2^n j: qubit q's row bit is bit q, its column bit is bit q + n.
// A unitary U on qubit q then acts as U on bit q and conj(U) on bit q + n (so kernels.hpp serves
// gates), a single-qubit map as a 4x4 superoperator on the bit pair (q, q + n) with local index
// row bit + 2 * column bit (noise.hpp: kron_conj, superoperator). Expectations are linear:
// tr(O rho) = <vec(O), vec(rho)> for Hermitian O, so the adjoint sweep carries vec of the
// Heisenberg-picture observable the way the statevector one carries the adjoint state.
#pragma once
#include <cstdint>

#include "qdiff/quantum/gates.hpp"

namespace qdiff::quantum {

// ---- density matrices ([4^n], see above) ---------------------------------------------------------
// rho <- S rho on the pair (q, q + n).
void apply_superop_1q(cplx* rho, int n, int q, const Mat4& s);
// One backward step through a superoperator S on the pair (q, q + n): r <- sinv r (skipped when
// sinv is null: r already holds the input of S), then x[s*4+t] += sum_rest r[rest,s] conj(o[rest,t])
// (so that <o|D r> = sum_{t,s} D[t][s] x[s][t] for any 4x4 D on the pair), then o <- sdag o.
void backward_superop_1q(cplx* r, cplx* o, int n, int q, const Mat4* sinv, const Mat4& sdag, Mat4& x);
// Two-qubit depolarizing on (q0, q1) in the form rho <- (1 - lambda) rho + lambda (I/4 (x)
// tr_{q0,q1} rho) (noise.hpp's strength p is lambda = 16 p / 15). lambda may be negative: the
// inverse map of lambda is -lambda / (1 - lambda).
void depolarize_2q(cplx* rho, int n, int q0, int q1, double lambda);
// A two-qubit permutation gate G (CNOT, CZ, SWAP: basis state l -> perm[l] with factor sign[l], local
// index l = b_q0 + 2 b_q1) on rows and columns, and depolarize_2q(lambda), in one pass:
// rho <- D(G rho G^T), or G(D(rho)) G^T when depolarize_first (lambda = 0: the gate alone).
void permute_depolarize_2q(cplx* rho, int n, int q0, int q1, const int* perm, const double* sign, double lambda,
                           bool depolarize_first);
// rho <- (x)_q rho_q with v[q] = vec(rho_q) = (rho_00, rho_10, rho_01, rho_11) (local index row + 2 col).
void write_density_product(cplx* rho, int n, const cplx (*v)[4]);
// z[q] = Re tr(Z_q rho) for every qubit.   z: [n]
void density_expectation_z(const cplx* rho, int n, double* z);
// Re tr(rho)
double density_trace(const cplx* rho, int n);
// o <- vec(sum_q c[q] Z_q) (diagonal; every other entry zero).   c: [n]
void write_z_observable_vec(cplx* o, int n, const double* c);

// ---- trajectories (pure states [2^n], kernels.hpp layout) ------------------------------------------
// rho[s*2+t] = sum_rest psi[rest,s] conj(psi[rest,t]): qubit q's reduced density matrix (unnormalised).
void reduced_density_1q(const cplx* psi, int n, int q, Mat2& rho);
// backward_1q for a matrix M that need not be unitary: psi <- minv psi (skipped when minv is null:
// psi already holds the input of M), r[s*2+t] += sum_rest psi[rest,s] conj(lam[rest,t]),
// lam <- madj lam (madj = M^dagger).
void backward_1q_general(cplx* psi, cplx* lam, int n, int q, const Mat2* minv, const Mat2& madj, Mat2& r);

}  // namespace qdiff::quantum
