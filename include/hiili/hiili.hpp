// hiili/hiili.hpp: the whole public API of hiili.
#pragma once

#include "hiili/contribution.hpp"
#include "hiili/distributions.hpp"
#include "hiili/error.hpp"
#include "hiili/lca.hpp"
#include "hiili/limits.hpp"
#include "hiili/model.hpp"
#include "hiili/monte_carlo.hpp"
#include "hiili/scenario.hpp"
#include "hiili/sensitivity.hpp"
#include "hiili/solver.hpp"
#include "hiili/sparse.hpp"
#include "hiili/synth.hpp"
#include "hiili/uncertainty.hpp"
#include "hiili/version.hpp"
