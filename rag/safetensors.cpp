#include "rag/safetensors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "core/error.h"

namespace voltedge::rag {

namespace {

std::string shape_text(const std::vector<int64_t>& shape) {
    std::string s = "[";
    for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + "]";
}

std::size_t dtype_size(const std::string& dtype) {
    static const std::map<std::string, std::size_t> sizes = {{"F64", 8}, {"F32", 4}, {"F16", 2},  {"BF16", 2},    {"I64", 8},
                                                             {"I32", 4}, {"I16", 2}, {"I8", 1},   {"U64", 8},     {"U32", 4},
                                                             {"U16", 2}, {"U8", 1},  {"BOOL", 1}, {"F8_E4M3", 1}, {"F8_E5M2", 1}};
    auto it = sizes.find(dtype);
    return it == sizes.end() ? 0 : it->second;
}

}  // namespace

struct SafeTensors::Mapping {
    void* base = MAP_FAILED;
    std::size_t size = 0;
    ~Mapping() {
        if (base != MAP_FAILED) munmap(base, size);
    }
};

SafeTensors SafeTensors::open(const std::string& path) {
    const std::string where = "safetensors file " + path;
    const std::string hint = "the model files come from `make bootstrap` (scripts/bootstrap, install_model)";
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw Error(where + ": cannot open: " + std::strerror(errno), hint);
    struct stat st {};
    if (fstat(fd, &st) != 0) {
        int e = errno;
        ::close(fd);
        throw Error(where + ": cannot stat: " + std::strerror(e), hint);
    }
    auto mapping = std::make_shared<Mapping>();
    mapping->size = static_cast<std::size_t>(st.st_size);
    if (mapping->size < 8) {
        ::close(fd);
        throw Error(where + ": truncated: " + std::to_string(mapping->size) + " bytes, less than the 8-byte header length", hint);
    }
    mapping->base = mmap(nullptr, mapping->size, PROT_READ, MAP_PRIVATE, fd, 0);
    int e = errno;
    ::close(fd);
    if (mapping->base == MAP_FAILED) throw Error(where + ": cannot map: " + std::strerror(e), hint);

    const auto* bytes = static_cast<const std::byte*>(mapping->base);
    uint64_t header_len = 0;
    for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | std::to_integer<uint64_t>(bytes[i]);  // little-endian
    if (header_len > mapping->size - 8)
        throw Error(where + ": truncated or corrupt: header length " + std::to_string(header_len) + " exceeds the " +
                        std::to_string(mapping->size - 8) + " bytes after it",
                    hint);
    const char* header_begin = reinterpret_cast<const char*>(bytes + 8);
    nlohmann::json header;
    try {
        header = nlohmann::json::parse(header_begin, header_begin + header_len);
    } catch (const nlohmann::json::exception& ex) {
        throw Error(where + ": bad header: not JSON (" + ex.what() + ")", hint);
    }
    if (!header.is_object()) throw Error(where + ": bad header: not a JSON object", hint);

    SafeTensors st_file;
    st_file.path_ = path;
    const std::byte* data = bytes + 8 + header_len;
    const std::size_t data_size = mapping->size - 8 - header_len;
    for (const auto& [name, entry] : header.items()) {
        if (name == "__metadata__") continue;
        const std::string bad = where + ": bad header entry for tensor '" + name + "': ";
        if (!entry.is_object() || !entry.contains("dtype") || !entry["dtype"].is_string() || !entry.contains("shape") ||
            !entry["shape"].is_array() || !entry.contains("data_offsets") || !entry["data_offsets"].is_array() ||
            entry["data_offsets"].size() != 2)
            throw Error(bad + "needs dtype (string), shape (array) and data_offsets ([begin, end])", hint);
        TensorInfo info;
        info.dtype = entry["dtype"].get<std::string>();
        const std::size_t elem = dtype_size(info.dtype);
        if (elem == 0) throw Error(bad + "unknown dtype " + info.dtype, hint);
        uint64_t count = 1;
        for (const auto& d : entry["shape"]) {
            if (!d.is_number_unsigned()) throw Error(bad + "shape must hold non-negative integers", hint);
            const auto dim = d.get<uint64_t>();
            if (dim != 0 && count > (UINT64_MAX / 16) / dim) throw Error(bad + "shape too large", hint);  // overflow
            count *= dim;
            info.shape.push_back(static_cast<int64_t>(dim));
        }
        const auto& off = entry["data_offsets"];
        if (!off[0].is_number_unsigned() || !off[1].is_number_unsigned())
            throw Error(bad + "data_offsets must be non-negative integers", hint);
        const auto begin = off[0].get<uint64_t>(), end = off[1].get<uint64_t>();
        if (begin > end || end > data_size)
            throw Error(bad + "data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) +
                            "] outside the data section of " + std::to_string(data_size) + " bytes (truncated file?)",
                        hint);
        if (end - begin != count * elem)
            throw Error(bad + std::to_string(end - begin) + " bytes for " + info.dtype + " " + shape_text(info.shape) +
                            ", which needs " + std::to_string(count * elem),
                        hint);
        info.data = data + begin;
        info.bytes = end - begin;
        st_file.tensors_.emplace(name, std::move(info));
    }
    st_file.mapping_ = std::move(mapping);
    return st_file;
}

std::vector<std::string> SafeTensors::names() const {
    std::vector<std::string> out;
    for (const auto& [name, _] : tensors_) out.push_back(name);
    return out;
}

const TensorInfo& SafeTensors::info(const std::string& name) const {
    auto it = tensors_.find(name);
    if (it == tensors_.end())
        throw Error("safetensors file " + path_ + ": no tensor '" + name + "'",
                    "is this the all-MiniLM-L6-v2 model.safetensors? `make bootstrap` fetches it");
    return it->second;
}

const float* SafeTensors::f32(const std::string& name, const std::vector<int64_t>& shape) const {
    const TensorInfo& t = info(name);
    const std::string where = "safetensors file " + path_ + ": tensor '" + name + "'";
    if (t.dtype != "F32") throw Error(where + " is " + t.dtype + ", expected F32");
    if (t.shape != shape) throw Error(where + " has shape " + shape_text(t.shape) + ", expected " + shape_text(shape));
    // Offsets in the data section are free-form; floats read through a pointer must be 4-byte aligned.
    if (reinterpret_cast<std::uintptr_t>(t.data) % alignof(float) != 0)
        throw Error(where + " is not 4-byte aligned in the file; cannot map it as float");
    return reinterpret_cast<const float*>(t.data);
}

}  // namespace voltedge::rag
