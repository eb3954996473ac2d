//===- Generator.cpp - token generation over a runtime KV cache -*- C++ -*-===//
//
// A generator library's step reads input_ids and position_ids [1, T] and
// writes logits [1, T, V]; its attention kernels read and append to the KV
// state bound to the calling thread (quantc_kv_state_*, inside the model
// library). The generator owns one state and the step's buffers, so it
// never touches the model's shared buffer table.
//
//===----------------------------------------------------------------------===//
#include "RuntimeInternal.h"

#include <algorithm>
#include <cstring>
#include <memory>

using namespace quantc::runtime;

namespace {
struct KVStateFns {
  void *(*create)(int64_t);
  void (*free)(void *);
  void (*bind)(void *);
  int64_t (*length)(const void *);
  void (*setLength)(void *, int64_t);
  void (*advance)(void *, int64_t);
  int64_t (*bytes)(const void *);
  int (*failed)(const void *);
};

template <typename Fn>
bool lookup(void *handle, const char *name, Fn &fn) {
  fn = reinterpret_cast<Fn>(dlsym(handle, name));
  return fn != nullptr;
}

int indexOf(const std::vector<Tensor> &tensors, const std::string &name) {
  for (size_t i = 0; i < tensors.size(); ++i)
    if (tensors[i].name == name)
      return static_cast<int>(i);
  return -1;
}
} // namespace

struct qc_generator {
  qc_model *model = nullptr;
  KVStateFns kv{};
  void *state = nullptr;
  int64_t maxContext = 0, stepTokens = 0, vocab = 0;
  int tokensInput = -1, positionsInput = -1;
  std::vector<int64_t> ids, positions;
  std::vector<float> stepLogits, logits;
  std::vector<void *> buffers;
  ~qc_generator() {
    if (state)
      kv.free(state);
  }

  /// Runs one step on `count` <= T tokens (the rest of the step is padding
  /// that the next step overwrites) and keeps the last token's logits.
  int runStep(const int64_t *tokens, int64_t count, float *allLogits) {
    int64_t start = kv.length(state);
    for (int64_t t = 0; t < stepTokens; ++t) {
      ids[t] = tokens[std::min(t, count - 1)];
      positions[t] = start + t;
    }
    kv.bind(state);
    int32_t rc = runOnThisThread(model, buffers.data());
    kv.bind(nullptr);
    if (rc != 0 || kv.failed(state)) {
      kv.setLength(state, start);
      return fail("qc_generator: the model step failed");
    }
    kv.advance(state, count);
    if (allLogits)
      std::memcpy(allLogits, stepLogits.data(), count * vocab * sizeof(float));
    const float *last = stepLogits.data() + (count - 1) * vocab;
    logits.assign(last, last + vocab);
    return 0;
  }
};

extern "C" {

qc_generator *qc_generator_create(qc_model *model, int64_t max_context) {
  if (!model) {
    fail("qc_generator_create: null model");
    return nullptr;
  }
  if (max_context < 1) {
    fail("qc_generator_create: max_context must be positive");
    return nullptr;
  }
  auto g = std::make_unique<qc_generator>();
  KVStateFns &kv = g->kv;
  void *h = model->handle;
  bool found = lookup(h, "quantc_kv_state_create", kv.create) &&
               lookup(h, "quantc_kv_state_free", kv.free) &&
               lookup(h, "quantc_kv_state_bind", kv.bind) &&
               lookup(h, "quantc_kv_state_length", kv.length) &&
               lookup(h, "quantc_kv_state_set_length", kv.setLength) &&
               lookup(h, "quantc_kv_state_advance", kv.advance) &&
               lookup(h, "quantc_kv_state_bytes", kv.bytes) &&
               lookup(h, "quantc_kv_state_failed", kv.failed);
  g->tokensInput = indexOf(model->inputs, "input_ids");
  g->positionsInput = indexOf(model->inputs, "position_ids");
  int logitsOutput = indexOf(model->outputs, "logits");
  if (!found || model->cudaRunHost || g->tokensInput < 0 || logitsOutput < 0 ||
      model->outputs.size() != 1 || model->inputs.size() > 2) {
    fail("qc_generator_create: not a generator library (compile the decoder "
         "with quantc --generator)");
    return nullptr;
  }
  const Tensor &tokens = model->inputs[g->tokensInput];
  const Tensor &out = model->outputs[logitsOutput];
  if (tokens.dims.size() != 2 || tokens.dims[0] != 1 || tokens.type != QC_ELEMENT_I64 ||
      out.dims.size() != 3 || out.type != QC_ELEMENT_F32 || out.dims[1] != tokens.dims[1]) {
    fail("qc_generator_create: the step must map input_ids [1, T] (i64) to "
         "logits [1, T, V] (f32)");
    return nullptr;
  }
  g->model = model;
  g->stepTokens = tokens.dims[1];
  g->vocab = out.dims[2];
  g->maxContext = max_context;
  // Room for a last step's padding beyond the context.
  g->state = kv.create(max_context + g->stepTokens);
  g->ids.resize(g->stepTokens);
  g->positions.resize(g->stepTokens);
  g->stepLogits.resize(g->stepTokens * g->vocab);
  g->buffers.assign(model->inputs.size() + 1, nullptr);
  g->buffers[g->tokensInput] = g->ids.data();
  if (g->positionsInput >= 0)
    g->buffers[g->positionsInput] = g->positions.data();
  g->buffers[model->inputs.size()] = g->stepLogits.data();
  return g.release();
}

void qc_generator_free(qc_generator *generator) { delete generator; }

int qc_generator_prefill(qc_generator *g, const int64_t *tokens, size_t count) {
  return qc_generator_prefill_logits(g, tokens, count, nullptr);
}

int qc_generator_prefill_logits(qc_generator *g, const int64_t *tokens, size_t count,
                                float *logits) {
  if (!g || (!tokens && count))
    return fail("qc_generator_prefill: null argument");
  if (count == 0)
    return 0;
  for (size_t i = 0; i < count; ++i)
    if (tokens[i] < 0 || tokens[i] >= g->vocab)
      return fail("token id " + std::to_string(tokens[i]) + " at position " +
                  std::to_string(i) + " is outside the vocabulary [0, " +
                  std::to_string(g->vocab) + ")");
  int64_t length = g->kv.length(g->state);
  if (length + static_cast<int64_t>(count) > g->maxContext)
    return fail(std::to_string(count) + " more tokens exceed the context of " +
                std::to_string(g->maxContext) + " tokens (" +
                std::to_string(length) + " in use)");
  for (size_t done = 0; done < count;) {
    int64_t chunk = std::min<int64_t>(g->stepTokens, count - done);
    if (g->runStep(tokens + done, chunk, logits ? logits + done * g->vocab : nullptr)) {
      g->kv.setLength(g->state, length); // all or nothing
      return 1;
    }
    done += chunk;
  }
  return 0;
}

int qc_generator_step(qc_generator *g, int64_t token) {
  return qc_generator_prefill(g, &token, 1);
}

const float *qc_generator_logits(const qc_generator *g) {
  return g && !g->logits.empty() && g->kv.length(g->state) ? g->logits.data() : nullptr;
}

size_t qc_generator_vocab_size(const qc_generator *g) { return g ? g->vocab : 0; }

int64_t qc_generator_length(const qc_generator *g) {
  return g ? g->kv.length(g->state) : 0;
}

int64_t qc_generator_cache_bytes(const qc_generator *g) {
  return g ? g->kv.bytes(g->state) : 0;
}

void qc_generator_reset(qc_generator *g) {
  if (g) {
    g->kv.setLength(g->state, 0);
    g->logits.clear();
  }
}

} // extern "C"
