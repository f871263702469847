// hiili::io::read and format detection (io/read.hpp).
#include <pybind11/native_enum.h>
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include <filesystem>
#include <memory>

#include "bindings.hpp"
#include "hiili/io/read.hpp"

namespace hiili::python {

void bind_io(py::module_& m) {
  using io::Format;
  py::native_enum<Format>(m, "Format", "enum.Enum")
      .value("Auto", Format::Auto)
      .value("Useeio", Format::Useeio)
      .value("Datapackage", Format::Datapackage)
      .value("Ecoinvent", Format::Ecoinvent)
      .value("OpenLca", Format::OpenLca)
      .value("MatrixMarket", Format::MatrixMarket)
      .value("CsvTriplets", Format::CsvTriplets)
      .finalize();
  m.def("to_string", py::overload_cast<Format>(&io::to_string), py::arg("format"));
  m.def("format_from_string", &io::format_from_string, py::arg("name"),
        "'useeio', 'datapackage', ...; InvalidInputError for an unknown name.");
  m.def(
      "detect_format",
      [](const std::filesystem::path& path) {
        py::gil_scoped_release release;
        return io::detect_format(path);
      },
      py::arg("path"), "The format of a file or folder; FormatError when no reader fits.");
  m.def(
      "read",
      [](const std::filesystem::path& path, Format format) {
        py::gil_scoped_release release;
        return std::make_shared<Model>(io::read(path, format));
      },
      py::arg("path"), py::arg("format") = Format::Auto,
      "Reads a model (file or folder). FormatError naming the file and entry or line when "
      "the content is bad, InvalidInputError for a bad argument.");
}

}  // namespace hiili::python
