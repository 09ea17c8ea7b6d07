// migload: GPU workloads of known character, run for a set time, to record power traces with
// (docs/workloads.md). Each kind stresses one part of the chip, so a trace of several kinds
// spans the features the power models use:
//
//   sgemm   FP32 matrix product on CUDA cores (cuBLAS, tensor-core math off)
//   hgemm   FP16 matrix product on Tensor cores (cuBLAS, FP32 accumulate)
//   dgemm   FP64 matrix product (cuBLAS; FP64 Tensor cores where the chip has them)
//   stream  a memory-bound copy kernel (DRAM bandwidth, little arithmetic)
//   llm     an inference-like loop: one prefill (large FP16 product) then decode steps
//           (matrix times a few vectors: memory bound), repeated
//   idle    holds a context and does nothing (the card's floor with a process on it)
//
// Intensity has two knobs: --size (matrix side or copy size: small work leaves SMs idle) and
// --duty (fraction of each --period spent launching work; the rest sleeps).
//
// It only uses the GPU it is given (CUDA_VISIBLE_DEVICES picks a card or a MIG instance) and
// never changes clocks, power limits or MIG layout.
#include <cublas_v2.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "migload: %s\n", what.c_str());
  std::exit(1);
}

void check(cudaError_t code, const char* what) {
  if (code != cudaSuccess) fail(std::string(what) + ": " + cudaGetErrorString(code));
}

void check(cublasStatus_t code, const char* what) {
  if (code != CUBLAS_STATUS_SUCCESS) {
    fail(std::string(what) + ": cuBLAS status " + std::to_string(static_cast<int>(code)));
  }
}

struct Options {
  std::string kind;
  double seconds = 0.0;
  long size = 0;  // 0: the kind's default
  double duty = 1.0;
  double period_s = 0.1;
};

void usage() {
  std::fprintf(stderr,
               "usage: migload KIND SECONDS [--size N] [--duty D] [--period-ms P]\n"
               "  KIND: sgemm hgemm dgemm stream llm idle\n"
               "  --size N     matrix side (gemm, llm hidden size) or MiB copied (stream)\n"
               "  --duty D     fraction of each period spent working, 0..1 (default 1)\n"
               "  --period-ms  length of one work+sleep period (default 100)\n");
}

Options parse(int argc, char** argv) {
  if (argc < 3) {
    usage();
    std::exit(2);
  }
  Options options;
  options.kind = argv[1];
  options.seconds = std::atof(argv[2]);
  for (int i = 3; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const double value = std::atof(argv[i + 1]);
    if (flag == "--size") {
      options.size = static_cast<long>(value);
    } else if (flag == "--duty") {
      options.duty = value;
    } else if (flag == "--period-ms") {
      options.period_s = value / 1000.0;
    } else {
      usage();
      std::exit(2);
    }
  }
  if (options.seconds <= 0.0 || options.duty < 0.0 || options.duty > 1.0 ||
      options.period_s <= 0.0) {
    usage();
    std::exit(2);
  }
  return options;
}

__global__ void fill_half(__half* data, size_t count, float value) {
  for (size_t i = blockIdx.x * size_t{blockDim.x} + threadIdx.x; i < count;
       i += size_t{gridDim.x} * blockDim.x) {
    data[i] = __float2half(value * static_cast<float>(i % 17) / 17.0f);
  }
}

template <typename T>
__global__ void fill(T* data, size_t count, T value) {
  for (size_t i = blockIdx.x * size_t{blockDim.x} + threadIdx.x; i < count;
       i += size_t{gridDim.x} * blockDim.x) {
    data[i] = value * static_cast<T>(i % 17) / static_cast<T>(17);
  }
}

__global__ void copy(const float4* source, float4* target, size_t count) {
  for (size_t i = blockIdx.x * size_t{blockDim.x} + threadIdx.x; i < count;
       i += size_t{gridDim.x} * blockDim.x) {
    target[i] = source[i];
  }
}

// One unit of work of the chosen kind, queued on the handle's stream.
class Work {
 public:
  Work(const Options& options, cublasHandle_t blas) : kind_(options.kind), blas_(blas) {
    check(cudaGetDeviceProperties(&properties_, 0), "cudaGetDeviceProperties");
    if (kind_ == "sgemm" || kind_ == "dgemm" || kind_ == "hgemm") {
      n_ = options.size > 0 ? options.size : (kind_ == "dgemm" ? 4096 : 8192);
      const size_t bytes = kind_ == "dgemm" ? 8 : (kind_ == "sgemm" ? 4 : 2);
      allocate(3 * bytes * static_cast<size_t>(n_) * static_cast<size_t>(n_));
    } else if (kind_ == "stream") {
      const size_t mib = options.size > 0 ? static_cast<size_t>(options.size) : 2048;
      count_ = mib * 1024 * 1024 / sizeof(float4);
      allocate(2 * count_ * sizeof(float4));
    } else if (kind_ == "llm") {
      n_ = options.size > 0 ? options.size : 8192;  // hidden size
      allocate(2 * (static_cast<size_t>(n_) * n_ + static_cast<size_t>(kPrefillTokens) * n_ * 2));
    } else if (kind_ != "idle") {
      usage();
      std::exit(2);
    }
    if (kind_ == "sgemm") check(cublasSetMathMode(blas_, CUBLAS_PEDANTIC_MATH), "math mode");
    initialise();
  }
  Work(const Work&) = delete;
  Work& operator=(const Work&) = delete;
  ~Work() { cudaFree(memory_); }

  void launch() {
    if (kind_ == "sgemm") {
      const float one = 1.0f;
      const float zero = 0.0f;
      auto* a = static_cast<float*>(memory_);
      check(cublasSgemm(blas_, CUBLAS_OP_N, CUBLAS_OP_N, n_, n_, n_, &one, a, n_, a + n_ * n_, n_,
                        &zero, a + 2 * n_ * n_, n_),
            "cublasSgemm");
    } else if (kind_ == "dgemm") {
      const double one = 1.0;
      const double zero = 0.0;
      auto* a = static_cast<double*>(memory_);
      check(cublasDgemm(blas_, CUBLAS_OP_N, CUBLAS_OP_N, n_, n_, n_, &one, a, n_, a + n_ * n_, n_,
                        &zero, a + 2 * n_ * n_, n_),
            "cublasDgemm");
    } else if (kind_ == "hgemm") {
      auto* a = static_cast<__half*>(memory_);
      half_product(a, a + n_ * n_, a + 2 * n_ * n_, n_);
    } else if (kind_ == "stream") {
      auto* source = static_cast<float4*>(memory_);
      copy<<<properties_.multiProcessorCount * 4, 512>>>(source, source + count_, count_);
      check(cudaGetLastError(), "copy kernel");
    } else if (kind_ == "llm") {
      // A prefill of kPrefillTokens tokens, then decode steps of a small batch: the weights
      // are read once per step for a few vectors, so decode is bound by memory, prefill by math.
      auto* weights = static_cast<__half*>(memory_);
      auto* input = weights + n_ * n_;
      auto* output = input + kPrefillTokens * n_;
      const long columns = step_ % kStepsPerRequest == 0 ? kPrefillTokens : kDecodeBatch;
      half_product(weights, input, output, columns);
      ++step_;
    }
  }

 private:
  static constexpr long kPrefillTokens = 4096;
  static constexpr long kDecodeBatch = 8;
  static constexpr long kStepsPerRequest = 64;

  void allocate(size_t bytes) { check(cudaMalloc(&memory_, bytes), "cudaMalloc"); }

  void initialise() {
    if (memory_ == nullptr) return;
    const int blocks = properties_.multiProcessorCount * 4;
    if (kind_ == "sgemm") {
      fill<float><<<blocks, 256>>>(static_cast<float*>(memory_), 3 * n_ * n_, 1.0f);
    } else if (kind_ == "dgemm") {
      fill<double><<<blocks, 256>>>(static_cast<double*>(memory_), 3 * n_ * n_, 1.0);
    } else if (kind_ == "hgemm") {
      fill_half<<<blocks, 256>>>(static_cast<__half*>(memory_), 3 * n_ * n_, 1.0f);
    } else if (kind_ == "llm") {
      fill_half<<<blocks, 256>>>(static_cast<__half*>(memory_),
                                 static_cast<size_t>(n_) * n_ + kPrefillTokens * n_, 0.5f);
    } else if (kind_ == "stream") {
      fill<float><<<blocks, 256>>>(static_cast<float*>(memory_), count_ * 4, 1.0f);
    }
    check(cudaGetLastError(), "fill kernel");
    check(cudaDeviceSynchronize(), "fill");
  }

  // output (n×columns) = weights (n×n) · input (n×columns), FP16 in, FP32 accumulate.
  void half_product(const __half* weights, const __half* input, __half* output, long columns) {
    const float one = 1.0f;
    const float zero = 0.0f;
    check(cublasGemmEx(blas_, CUBLAS_OP_N, CUBLAS_OP_N, n_, columns, n_, &one, weights, CUDA_R_16F,
                       n_, input, CUDA_R_16F, n_, &zero, output, CUDA_R_16F, n_, CUBLAS_COMPUTE_32F,
                       CUBLAS_GEMM_DEFAULT),
          "cublasGemmEx");
  }

  std::string kind_;
  cublasHandle_t blas_;
  cudaDeviceProp properties_{};
  void* memory_ = nullptr;
  long n_ = 0;
  size_t count_ = 0;
  long step_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  const Options options = parse(argc, argv);
  check(cudaSetDevice(0), "cudaSetDevice");
  cublasHandle_t blas = nullptr;
  check(cublasCreate(&blas), "cublasCreate");
  {
    Work work(options, blas);
    const auto seconds = [](double value) {
      return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(value));
    };
    const Clock::time_point start = Clock::now();
    const Clock::time_point end = start + seconds(options.seconds);
    const Clock::duration period = seconds(options.period_s);
    const Clock::duration busy = seconds(options.period_s * options.duty);
    long launches = 0;
    for (Clock::time_point period_start = start; period_start < end; period_start += period) {
      if (options.kind != "idle") {
        // Keep two units queued so the GPU never waits on the host between them.
        const Clock::time_point work_end = std::min(end, period_start + busy);
        while (Clock::now() < work_end) {
          work.launch();
          work.launch();
          launches += 2;
          check(cudaDeviceSynchronize(), "work");
        }
      }
      std::this_thread::sleep_until(std::min(end, period_start + period));
    }
    std::printf("migload %s: %.1f s, %ld launches\n", options.kind.c_str(),
                std::chrono::duration<double>(Clock::now() - start).count(), launches);
  }
  cublasDestroy(blas);
  return 0;
}
