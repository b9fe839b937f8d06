#pragma once
// Read-only view of a .safetensors file: 8-byte little-endian header length, a JSON header naming each tensor's
// dtype, shape and byte range, then the raw data. The file is memory-mapped once; tensors are pointers into the
// mapping (never copied), valid as long as any SafeTensors sharing that mapping lives.
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace voltedge::rag {

struct TensorInfo {
    std::string dtype;           // "F32", "I64", ... as written in the header
    std::vector<int64_t> shape;  // row-major
    const std::byte* data = nullptr;
    std::size_t bytes = 0;
};

class SafeTensors {
public:
    // Maps `path` and checks the header: its length fits the file, it is a JSON object, every tensor's byte range
    // lies inside the data section and matches its shape and dtype. Throws voltedge::Error naming the file.
    static SafeTensors open(const std::string& path);

    const std::string& path() const { return path_; }
    bool contains(const std::string& name) const { return tensors_.count(name) != 0; }
    std::vector<std::string> names() const;
    const TensorInfo& info(const std::string& name) const;  // throws if missing

    // The F32 tensor `name`, which must have exactly `shape`; throws voltedge::Error naming the tensor and what
    // was expected when it is missing, of another dtype or of another shape.
    const float* f32(const std::string& name, const std::vector<int64_t>& shape) const;

private:
    struct Mapping;
    std::string path_;
    std::shared_ptr<const Mapping> mapping_;
    std::map<std::string, TensorInfo> tensors_;
};

}  // namespace voltedge::rag
