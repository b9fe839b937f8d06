#pragma once
// What the index is given for a tenant, besides the tenant's generated documents (which the CLI makes, since
// they come from the registry and the data-quality tables): the platform's own documentation and source code,
// the data dictionary, and any folders of Markdown or text the tenant adds.
#include <string>
#include <vector>

#include "rag/index.h"

namespace voltedge::rag {

// Every file git tracks under `root` that is documentation (Markdown: kind doc) or source (C++, SQL, scripts,
// CMake, configs: kind code), with the commit that last changed it as its revision. Test data and datasets are
// left out. Throws Error when `root` is not a git work tree.
std::vector<SourceDocument> project_documents(const std::string& root);

// generated/data-dictionary.md: every table and column of the migrations compiled into this binary, with the
// comments written beside them, and the attributes of the UCI household power file; revision = the newest
// migration's version.
SourceDocument data_dictionary();

// Markdown and text files (.md, .txt) under `dir`, as "<dir's name>/<relative path>", kind tenant_doc, revision
// "sha256:<first 12 hex digits>" of the content. Throws Error naming the folder when it cannot be read.
std::vector<SourceDocument> folder_documents(const std::string& dir);

}  // namespace voltedge::rag
