"""Model parameters: every constant of the access, network, skim and demand models.

One typed object, :class:`ModelParams`, holds them all; each field's description
gives its source ("facts §6" is ``../shared/facts/baerum.md`` section 6; ``[E]`` marks
an estimate to override). A scenario's ``[model]`` table sets any field, e.g.::

    [model]
    walk_speed_mps = 1.2
    gravity_beta_per_km = 1.0
    [model.purposes.work]
    share = 0.22
    attraction = { jobs = 1.0 }

Facts about a place (survey shares, capacities per child, seeds, provenance) are not
model parameters: they live in the region pack (:mod:`sim.region`).
"""

from __future__ import annotations

from typing import Annotated, Any, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from sim.vocab import AreaKind

#: Finite numbers only: no inf or NaN, and no bool or numeric string coerced to a number.
Positive = Annotated[float, Field(gt=0, allow_inf_nan=False, strict=True)]
NonNegative = Annotated[float, Field(ge=0, allow_inf_nan=False, strict=True)]
Share = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False, strict=True)]
Factor = Annotated[float, Field(gt=0, le=1, allow_inf_nan=False, strict=True)]
Detour = Annotated[float, Field(ge=1, le=5, allow_inf_nan=False, strict=True)]
Finite = Annotated[float, Field(allow_inf_nan=False, strict=True)]
Negative = Annotated[float, Field(lt=0, allow_inf_nan=False, strict=True)]
ZoneSize = Annotated[float, Field(ge=250, le=20_000, allow_inf_nan=False, strict=True)]
Count = Annotated[int, Field(ge=1, le=50, strict=True)]


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


#: Values of time, NOK per hour (TØI 2015, trips < 70 km; facts §6 [V]).
VOT_COMMUTE_CAR, VOT_COMMUTE_PT, VOT_PRIVATE_CAR, VOT_PRIVATE_PT = 85.0, 59.0, 72.0, 54.0


class Purpose(_Params):
    """A trip purpose: its share of all trips, the attraction weights of destinations and
    its time sensitivity.

    Attraction keys are zone quantities: ``jobs``, ``residents``, ``school_places``,
    ``kindergarten_places``, ``grocery`` (shops) and ``recreation`` (areas). The values
    of time (NOK per hour) turn the cost coefficient into the purpose's time
    coefficients: car, walking and cycling time use ``vot_car_nok_h``, public transport
    ``vot_pt_nok_h``. ``car_passenger_share`` is the share of the purpose's car trips
    made as a passenger (None: the region's survey split).
    """

    share: Share
    attraction: dict[str, NonNegative]
    vot_car_nok_h: Positive = VOT_PRIVATE_CAR
    vot_pt_nok_h: Positive = VOT_PRIVATE_PT
    car_passenger_share: Share | None = None


#: Purposes: shares of work, shopping/service, leisure and escort from the Bærum travel
#: survey 2018 (facts §3); school 8 % and other 16 % are estimates [E] making up the rest.
#: Attraction weights are estimates [E] chosen so that one shop (400) draws like ~400
#: jobs and one recreation area (100) like ~100 residents: a shop is a place of trips
#: for its neighbourhood, a park one for a few blocks.
#: Work trips value time as commuting (85 and 59 NOK/h), the others as private trips
#: (72 and 54 NOK/h), TØI 2015 (facts §6).
DEFAULT_PURPOSES: dict[str, Purpose] = {
    "work": Purpose(share=0.20, attraction={"jobs": 1.0}, vot_car_nok_h=VOT_COMMUTE_CAR,
                    vot_pt_nok_h=VOT_COMMUTE_PT),
    "school": Purpose(share=0.08, attraction={"school_places": 1.0, "residents": 0.02}),
    "shopping_service": Purpose(share=0.26, attraction={"grocery": 400.0, "jobs": 0.3}),
    "leisure": Purpose(share=0.20, attraction={"residents": 1.0, "recreation": 100.0}),
    "escort": Purpose(share=0.10, attraction={"kindergarten_places": 1.0,
                                              "school_places": 1.0, "residents": 0.1}),
    "other": Purpose(share=0.16, attraction={"residents": 0.5, "jobs": 0.5}),
}


def _f(default: Any, source: str) -> Any:
    """A field with its source as description."""
    return Field(default, description=source)


class ModelParams(_Params):
    """``[model]``: every constant of the models, each with its source."""

    # --- speeds and growth -----------------------------------------------------------
    walk_speed_mps: Positive = _f(1.3, "walking speed; OpenTripPlanner default (facts §6)")
    bike_speed_mps: Positive = _f(16 / 3.6, "cycling speed 16 km/h; facts §6 says 15–18 [E]")
    persons_per_dwelling: Positive = _f(2.2, "residents per new dwelling; Bærum ~2.3 persons "
                                        "per household [E]")
    trips_per_person: Positive | None = _f(None, "trips per resident and day; None: the "
                                           "region's travel survey")
    area_growth_sigma: Positive | None = _f(
        0.5, "growth placed by area name concentrates at the area's centre (its station or "
        "local centre: the plan densifies at hubs): Gaussian weights with sigma = this × the "
        "area's radius, as the jobs proxy spreads its centres [E]; None: spread evenly")
    # --- access (kortreist hverdag) ----------------------------------------------------
    k_nearest: Count = _f(
        3, "number of nearest facilities of the choice measure [E]")
    gravity_beta_per_km: Positive = _f(1.2, "distance decay of the gravity measure per km "
                                       "(facts §6: β ≈ 1–1.5 per km)")
    access_cutoff_m: Positive = _f(4000.0, "facilities farther than this do not count in "
                                   "gravity, k-nearest and capacity (exp(-1.2 × 4) < 1 %) [E]")
    capacity_catchment_m: dict[str, Positive] = _f(
        {"school": 2000.0, "kindergarten": 1500.0},
        "walking catchment of the two-step floating catchment per function [E]")
    far_from_network_m: Positive = _f(500.0, "a cell centre farther than this from the walk "
                                      "network is flagged [E]")
    # --- network -----------------------------------------------------------------------
    stop_snap_max_m: Positive = _f(1000.0, "a stop farther than this from any street node is "
                                   "linked only to external zones [E]")
    external_stop_radius_m: Positive = _f(1500.0, "a stop this close to an external zone "
                                          "serves it directly [E]")
    external_detour: Detour = _f(
        1.3, "connector of an external zone to the streets: length = straight distance × "
        "this [E]")
    external_car_kmh: Positive = _f(60.0, "car speed on external connectors [E]")
    pt_detour: Detour = _f(
        1.15, "in-vehicle distance = straight stop-to-stop distance × this [E]")
    # --- skims -------------------------------------------------------------------------
    zone_size_m: ZoneSize = _f(
        1000.0, "side of the square demand zones; 250 gives cell level")
    intrazonal_share: Factor = _f(
        1 / 3, "intrazonal trips are this share of the zone size long [E]")
    intrazonal_car_kmh: Positive = _f(30.0, "car speed of intrazonal trips (local streets, "
                                      "30 km/h zones) [E]")
    # --- generalised cost --------------------------------------------------------------
    beta_cost_per_nok: Negative = _f(
        -0.022, "utility per NOK; time coefficients follow from each purpose's values of "
        "time (facts §6). Its size (the model's sensitivity) is set so that the Bærum base "
        "year's elasticities lie in the published ranges: PT trips to in-vehicle time -0.41, "
        "car-km to running cost -0.32 [E]")
    walk_weight: Positive = _f(1.75, "weight of walking time; walking and waiting weighted "
                               "1.5–2× (facts §6)")
    wait_weight: Positive = _f(1.75, "weight of waiting time (facts §6)")
    bike_weight: Positive = _f(1.5, "weight of cycling time [E]")
    max_wait_min: Positive = _f(15.0, "cap on any wait [E]")
    wait_random_max_headway_min: Positive = _f(
        11.0, "up to this headway passengers arrive at random and the first wait is half "
        "the headway (Fan & Machemehl 2009, TRR 2111: transition at about 11 minutes)")
    wait_slope_long_headway: Share = _f(
        0.25, "beyond it passengers time their arrival: the first wait grows by this share "
        "of the extra headway [E]; waits at a change of line stay half the headway")
    service_hours_peak_per_day: NonNegative = _f(
        6.0, "hours a day run at the peak headway, for departures per week [E]")
    service_hours_offpeak_per_day: NonNegative = _f(
        12.0, "hours a day run at the off-peak headway (7 days a week) [E]")
    pt_fare_nok: NonNegative = _f(
        20.0, "average fare per public transport trip: season tickets and single tickets "
        "(Ruter single ticket ~40 NOK in 2023) [E]")
    boarding_penalty_min: NonNegative = _f(5.0, "minutes per boarding; 5–10 per transfer "
                                           "(facts §6)")
    car_cost_nok_per_km: NonNegative = _f(
        1.2, "car running cost as drivers perceive it: energy about 0.9 NOK/km (petrol about "
        "1.4, electric about 0.3, a mixed fleet) and wear 0.3 [E]; tolls and parking are "
        "charged separately ([policy], parking_nok)")
    car_speed_factor_peak: Factor = _f(
        0.7, "car speed in the rush hours as a share of the speed limit (facts §6: "
        "congestion factor) [E]")
    car_speed_factor_offpeak: Factor = _f(
        0.92, "car speed off-peak as a share of the speed limit [E]")
    peak_trip_share: Share = _f(0.3, "share of daily trips made in the rush hours: weights "
                                "the peak and off-peak skims [E]")
    car_terminal_min: dict[AreaKind, NonNegative] = _f(
        {"growth_area": 6.0, "station": 3.0, "other": 1.5},
        "parking search and walk from the car by destination zone kind [E]")
    parking_nok: dict[AreaKind, NonNegative] = _f(
        {"growth_area": 40.0, "station": 10.0, "other": 0.0},
        "parking charge by destination zone kind [E]")
    # --- destination and mode choice ---------------------------------------------------
    purposes: dict[str, Purpose] = _f(DEFAULT_PURPOSES, "trip purposes (see DEFAULT_PURPOSES)")
    asc_bike: Finite | None = _f(None, "constant of bike (walk = 0); None: calibrated")
    asc_pt: Finite | None = _f(None, "constant of public transport; None: calibrated")
    asc_car: Finite | None = _f(None, "constant of car (driver and passenger); None: "
                                "calibrated")
    destination_theta: Factor = _f(0.5, "logsum scale of destination choice (mode choice "
                                   "nested below destinations; 0.3-0.8 is usual) [E]")

    @field_validator("car_terminal_min", "parking_nok", mode="before")
    @classmethod
    def _complete_by_kind(cls, value: Any, info: ValidationInfo) -> Any:
        """A table by zone kind may name only some kinds; the others keep their default."""
        if isinstance(value, dict) and info.field_name:
            default = cls.model_fields[info.field_name].default
            return {**default, **value}
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        total = sum(p.share for p in self.purposes.values())
        if self.purposes and abs(total - 1.0) > 1e-6:
            raise ValueError(f"purpose shares must sum to 1, got {total:.6g}")
        return self

    def ascs(self) -> dict[str, float | None]:
        """Alternative-specific constants by mode (walk is the reference, 0); a constant
        given here is kept fixed by the calibration."""
        return {"bike": self.asc_bike, "pt": self.asc_pt, "car": self.asc_car}

    def without_ascs(self) -> ModelParams:
        """The same parameters with the constants left to the calibration."""
        return self.model_copy(update={f"asc_{m}": None for m in ("bike", "pt", "car")})

    def time_coefficients(self, purpose: Purpose) -> tuple[float, float]:
        """Utility per minute of car (and walking, cycling) time and of public transport
        generalised time for a purpose: the cost coefficient × its values of time."""
        return (self.beta_cost_per_nok * purpose.vot_car_nok_h / 60.0,
                self.beta_cost_per_nok * purpose.vot_pt_nok_h / 60.0)
