#define PY_SSIZE_T_CLEAN
#include <Python.h>
static struct PyModuleDef mod = { PyModuleDef_HEAD_INIT, "_engine", NULL, -1, NULL, NULL, NULL, NULL, NULL };
PyMODINIT_FUNC PyInit__engine(void);
PyMODINIT_FUNC PyInit__engine(void) { return PyModule_Create(&mod); }
