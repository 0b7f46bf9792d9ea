<?php
// This file is part of the Stream Portal companion plugin for Moodle - https://moodle.org/
// GNU GPL v3 or later.

namespace assignsubmission_streamportal\event;

/**
 * The portal recorded a Stream video for a student's submission (updated).
 *
 * @package    assignsubmission_streamportal
 * @copyright  2026 Stream Portal
 * @license    http://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class submission_updated extends \mod_assign\event\submission_updated {

    /**
     * The record is a row of the plugin's table.
     */
    protected function init() {
        parent::init();
        $this->data['objecttable'] = 'assignsubmission_streamportal';
    }

    /**
     * For the logs.
     *
     * @return string
     */
    public function get_description() {
        return "The user with id '$this->userid' recorded the Stream video '{$this->other['streamuid']}' " .
            "(updated) for the user with id '$this->relateduserid' in the assignment with course module id " .
            "'$this->contextinstanceid'.";
    }

    /**
     * The Stream uid is part of the event.
     */
    protected function validate_data() {
        parent::validate_data();
        if (!isset($this->other['streamuid'])) {
            throw new \coding_exception('The \'streamuid\' value must be set in other.');
        }
    }

    /**
     * Restore mapping of the object.
     *
     * @return array
     */
    public static function get_objectid_mapping() {
        return ['db' => 'assignsubmission_streamportal', 'restore' => \core\event\base::NOT_MAPPED];
    }
}
