#pragma once
// Calendar features of an hour on the meter's clock, including French public holidays computed by rule.
#include <cstdint>

#include "core/civil_time.h"

namespace voltedge::features {

// Easter Sunday of a Gregorian year (anonymous Gregorian algorithm, Meeus/Jones/Butcher).
CivilDate easter_sunday(int year);

// The 11 French public holidays (metropolitan): 1 Jan, Easter Monday, 1 May, 8 May, Ascension (Easter + 39),
// Whit Monday (Easter + 50), 14 Jul, 15 Aug, 1 Nov, 11 Nov, 25 Dec.
bool is_french_holiday(const CivilDate& date);

// Night 0-5, morning 6-11, afternoon 12-17, evening 18-23.
int daypart(int hour_of_day);

struct Calendar {
    int hour_of_day;  // 0..23
    int daypart;      // see daypart()
    int weekday;      // 0 = Monday .. 6 = Sunday
    bool is_weekend;
    int month;  // 1..12
    bool is_holiday;
};

Calendar calendar_of(Minute hour);

// Where a meter is, for the sun: degrees north and east, and the fixed offset of its clock from UTC in hours.
struct Location {
    double latitude = 0, longitude = 0, utc_offset_hours = 0;
};

// Sunrise and sunset of a day on the meter's clock, in hours after its midnight (NOAA's solar equations, the sun's
// upper limb with refraction; about a minute off). Polar day gives a day 24 hours long, polar night one of none
// (sunrise and sunset both at solar noon).
struct Daylight {
    double sunrise, sunset;
};
Daylight daylight_of(Minute hour, const Location& where);

}  // namespace voltedge::features
