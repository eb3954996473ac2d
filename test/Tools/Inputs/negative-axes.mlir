// Ops with negative axes, as hand-written IR may carry them.
func.func @main() -> (tensor<2x4xf32> {qc.name = "concat"},
                      tensor<2x1xf32> {qc.name = "gather"},
                      tensor<2x2xf32> {qc.name = "softmax"}) {
  %a = qc.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %c = qc.concat %a, %a {axis = -1 : i64} : (tensor<2x2xf32>, tensor<2x2xf32>) -> tensor<2x4xf32>
  %i = qc.constant dense<[1]> : tensor<1xi64>
  %g = qc.gather %a, %i {axis = -1 : i64} : (tensor<2x2xf32>, tensor<1xi64>) -> tensor<2x1xf32>
  %s = qc.softmax %a {axis = -2 : i64} : tensor<2x2xf32>
  return %c, %g, %s : tensor<2x4xf32>, tensor<2x1xf32>, tensor<2x2xf32>
}
