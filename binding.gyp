{
  "targets": [
    {
      "target_name": "dpuflow_native",
      "sources": ["native/dpu_kernels.cc", "native/amx_conv.cc"],
      "cflags_cc": ["-std=c++17", "-O3", "-Wno-maybe-uninitialized", "-Wno-uninitialized"],
      "cflags_cc!": ["-fno-rtti"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
