"""Language models in quantc: a GGUF reader, a numpy reference decoder and
an exporter of llama decoders to standard ONNX with a KV cache."""
