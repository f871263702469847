// hiili::Error and its subclasses as Python exceptions of the same names. One translator maps
// each C++ type to its Python class and keeps what locates the fault as attributes
// (SingularMatrixError.column / .rcond, IllConditionedError.residual / .rcond).
#include <Python.h>

#include <cstring>
#include <initializer_list>
#include <limits>
#include <string>
#include <utility>

#include "bindings.hpp"
#include "hiili/error.hpp"

namespace hiili::python {

namespace {

struct ErrorTypes {
  py::object error, invalid_input, singular_matrix, ill_conditioned, format;
};

ErrorTypes& error_types() {
  // Leaked on purpose: exception classes live as long as the interpreter.
  static ErrorTypes* types = new ErrorTypes();
  return *types;
}

py::object new_exception(py::module_& m, const char* name, py::handle bases, const char* doc) {
  // The classes are exported as hiili.<name>; say so in their qualified name.
  const std::string qualified = std::string("hiili.") + name;
  PyObject* type = PyErr_NewExceptionWithDoc(qualified.c_str(), doc, bases.ptr(), nullptr);
  if (type == nullptr) throw py::error_already_set();
  auto object = py::reinterpret_steal<py::object>(type);
  m.attr(name) = object;
  return object;
}

// The message as a str. hiili::Error messages are valid UTF-8 already (the constructor escapes
// other bytes as \xNN); backslashreplace keeps even a foreign byte from turning the exception
// into a UnicodeDecodeError.
py::str message(const char* what) {
  PyObject* text = PyUnicode_DecodeUTF8(what, static_cast<Py_ssize_t>(std::strlen(what)),
                                        "backslashreplace");
  if (text == nullptr) throw py::error_already_set();
  return py::reinterpret_steal<py::str>(text);
}

void raise(const py::object& type, const char* what,
           std::initializer_list<std::pair<const char*, py::object>> attributes = {}) {
  py::object exception = type(message(what));
  for (const auto& [key, value] : attributes) exception.attr(key) = value;
  PyErr_SetObject(type.ptr(), exception.ptr());
}

}  // namespace

void bind_errors(py::module_& m) {
  ErrorTypes& t = error_types();
  t.error = new_exception(m, "Error", PyExc_RuntimeError,
                          "Base of every hiili exception (hiili::Error).");
  t.invalid_input = new_exception(
      m, "InvalidInputError", py::make_tuple(t.error, py::handle(PyExc_ValueError)),
      "The caller passed something hiili cannot use: mismatched shapes, NaN/Inf, an index out "
      "of range, an empty demand, an unknown label, a bad option. Also a ValueError.");
  t.singular_matrix = new_exception(
      m, "SingularMatrixError", t.error,
      "The technosphere matrix is structurally or numerically singular. Attributes: column "
      "(0-based column where factorisation broke down, or -1) and rcond (0 when unknown).");
  t.ill_conditioned = new_exception(
      m, "IllConditionedError", t.error,
      "A solve's backward error stayed above the tolerance after one refinement step. "
      "Attributes: residual (that backward error), rcond.");
  // Defaults for instances raised from Python code, which carry no C++ details.
  t.singular_matrix.attr("column") = -1;
  t.singular_matrix.attr("rcond") = 0.0;
  t.ill_conditioned.attr("residual") = py::float_(std::numeric_limits<double>::quiet_NaN());
  t.ill_conditioned.attr("rcond") = 0.0;
  t.format = new_exception(m, "FormatError", t.error,
                           "A file could not be read as the format it claims to be.");
  new_exception(m, "CacheWarning", PyExc_UserWarning,
                "The analysis cache (Lca(..., cache=DIR)) rejected a file or could not write "
                "one; the analysis was computed afresh, so the results are unaffected.");

  // The most derived types first: the first matching catch wins.
  py::register_exception_translator([](std::exception_ptr p) {
    const ErrorTypes& t = error_types();
    try {
      if (p) std::rethrow_exception(p);
    } catch (const SingularMatrixError& e) {
      raise(t.singular_matrix, e.what(),
            {{"column", py::int_(e.column())}, {"rcond", py::float_(e.rcond())}});
    } catch (const IllConditionedError& e) {
      raise(t.ill_conditioned, e.what(),
            {{"residual", py::float_(e.residual())}, {"rcond", py::float_(e.rcond())}});
    } catch (const InvalidInputError& e) {
      raise(t.invalid_input, e.what());
    } catch (const FormatError& e) {
      raise(t.format, e.what());
    } catch (const Error& e) {
      raise(t.error, e.what());
    }
  });
}

}  // namespace hiili::python
